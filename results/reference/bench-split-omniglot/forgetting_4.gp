# Forgetting per method (mean over runs, 95% interval as error bars).
set terminal pngcairo size 900,500 noenhanced
set output 'forgetting_4.png'
set datafile separator ','
set datafile missing 'nan'
set grid
set title 'split-omniglot: all 106 evaluation classes, forgetting'
set style fill solid 0.6
set boxwidth 0.6
set ylabel 'forgetting (accuracy lost)'
set xtics rotate by -25
unset key
set xtics ('online SGD (non-local)' 0, 'SGD head on a fixed random layer (non-local)' 1, 'OML-style: meta-learned representation (oml-omniglot), SGD head (non-local head)' 2, 'DFA' 3, 'FLP (untrained defaults)' 4, 'ABCD Hebbian (teacher post)' 5, 'nearest class mean (pixels)' 6)
plot 'forgetting_4.csv' skip 1 using 1:2 with boxes lc rgb '#6baed6', \
     'forgetting_4.csv' skip 1 using 1:2:3:4 with yerrorbars lc rgb '#08519c' pt 0
