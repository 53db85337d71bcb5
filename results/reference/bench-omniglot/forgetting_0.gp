# Forgetting per method: horizontal bars (mean over runs) with their 95% interval,
# the method names on the left.
set terminal pngcairo size 1200,428 noenhanced
set output 'forgetting_0.png'
set datafile separator ','
set datafile missing 'nan'
set grid
set title 'omniglot: 5-way 5-shot, continual, forgetting'
set style fill solid 0.6
set xlabel 'forgetting (accuracy lost)'
set yrange [7.6:-0.6]
unset key
set grid noytics
set ytics ('online SGD (non-local)' 0, 'OML-style: meta-learned representation (oml-omniglot), SGD head (non-local head)' 1, 'FLP meta-trained (flp-omniglot): meta-learned frozen layer, plastic output' 2, 'FLP starting point (random frozen layer, P = 0.5)' 3, 'FLP, output layer on pixels (not meta-trained; P swept)' 4, 'DFA' 5, 'ABCD Hebbian (teacher post), output layer on pixels' 6, 'nearest class mean (pixels)' 7)
plot 'forgetting_0.csv' skip 1 using (0):1:($2 < 0 ? $2 : 0):($2 < 0 ? 0 : $2):($1 - 0.3):($1 + 0.3) with boxxyerror lc rgb '#6baed6', \
     'forgetting_0.csv' skip 1 using 2:1:3:4 with xerrorbars lc rgb '#08519c' pt 0
