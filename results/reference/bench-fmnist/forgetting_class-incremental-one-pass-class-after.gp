# Forgetting per method: horizontal bars (mean over runs) with their 95% interval,
# the method names on the left.
set terminal pngcairo size 1272,392 noenhanced
if (!exists('outfile')) outfile = 'forgetting_class-incremental-one-pass-class-after.png'
set output outfile
set datafile separator ','
set datafile missing 'nan'
set grid
set title 'fashion-mnist: class-incremental (one pass, class after class), forgetting'
set xlabel 'forgetting (accuracy lost)'
set style fill solid 0.6
set yrange [6.6:-0.6]
unset key
set grid noytics
set ytics ('online SGD (non-local)' 0, 'DFA' 1, 'OML-style: Omniglot-meta-learned representation (oml-omniglot), SGD head (non-local head)' 2, 'FLP meta-trained on Omniglot (flp-omniglot): frozen layer, plastic output' 3, 'FLP, output layer on pixels (not meta-trained; P swept)' 4, 'ABCD Hebbian (teacher post), output layer on pixels' 5, 'nearest class mean (pixels)' 6)
plot 'forgetting_class-incremental-one-pass-class-after.csv' skip 1 using (0):1:($2 < 0 ? $2 : 0):($2 < 0 ? 0 : $2):($1 - 0.3):($1 + 0.3) with boxxyerror lc rgb '#56b4e9', \
     'forgetting_class-incremental-one-pass-class-after.csv' skip 1 using 2:1:3:4 with xerrorbars lc rgb '#0072b2' pt 0
