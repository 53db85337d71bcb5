# Forgetting per method: horizontal bars (mean over runs) with their 95% interval,
# the method names on the left.
set terminal pngcairo size 1368,464 noenhanced
if (!exists('outfile')) outfile = 'forgetting_20-way-5-shot-i.i.d.png'
set output outfile
set datafile separator ','
set datafile missing 'nan'
set grid
set title 'omniglot-grad: 20-way 5-shot, i.i.d., forgetting'
set xlabel 'forgetting (accuracy lost)'
set style fill solid 0.6
set yrange [8.6:-0.6]
unset key
set grid noytics
set ytics ('FLP meta-trained (flp-omniglot-grad): meta-learned conv extractor, two plastic layers' 0, 'OML meta-trained (oml-omniglot-grad): meta-learned conv extractor, SGD on two layers (non-local head)' 1, 'nearest class mean on FLP''s meta-learned extractor' 2, 'nearest class mean on FLP''s meta-learned dense layer (at W(0), frozen)' 3, 'nearest class mean on OML''s meta-learned extractor' 4, 'FLP starting point (untrained extractor, P = 0.5)' 5, 'nearest class mean (pixels)' 6, 'FLP, output layer on pixels (not meta-trained; P swept)' 7, 'online SGD, 784-256-N (non-local)' 8)
plot 'forgetting_20-way-5-shot-i.i.d.csv' skip 1 using (0):1:($2 < 0 ? $2 : 0):($2 < 0 ? 0 : $2):($1 - 0.3):($1 + 0.3) with boxxyerror lc rgb '#56b4e9', \
     'forgetting_20-way-5-shot-i.i.d.csv' skip 1 using 2:1:3:4 with xerrorbars lc rgb '#0072b2' pt 0
