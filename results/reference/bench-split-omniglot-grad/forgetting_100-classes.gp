# Forgetting per method: horizontal bars (mean over runs) with their 95% interval,
# the method names on the left.
set terminal pngcairo size 1152,356 noenhanced
if (!exists('outfile')) outfile = 'forgetting_100-classes.png'
set output outfile
set datafile separator ','
set datafile missing 'nan'
set grid
set title 'split-omniglot-grad: 100 classes, forgetting'
set xlabel 'forgetting (accuracy lost)'
set style fill solid 0.6
set yrange [5.6:-0.6]
unset key
set grid noytics
set ytics ('FLP meta-trained (flp-omniglot-grad)' 0, 'OML meta-trained (oml-omniglot-grad), its meta-learned lr (non-local head)' 1, 'OML meta-trained (oml-omniglot-grad), lr swept (non-local head)' 2, 'nearest class mean on FLP''s meta-learned extractor' 3, 'nearest class mean (pixels)' 4, 'online SGD, 784-256-N (non-local)' 5)
plot 'forgetting_100-classes.csv' skip 1 using (0):1:($2 < 0 ? $2 : 0):($2 < 0 ? 0 : $2):($1 - 0.3):($1 + 0.3) with boxxyerror lc rgb '#56b4e9', \
     'forgetting_100-classes.csv' skip 1 using 2:1:3:4 with xerrorbars lc rgb '#0072b2' pt 0
