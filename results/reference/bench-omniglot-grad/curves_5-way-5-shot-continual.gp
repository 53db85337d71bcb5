# Continual-learning curves of one variant: score on everything seen so far,
# one line per method with its 95% bootstrap band.
set terminal pngcairo size 1000,700 noenhanced
if (!exists('outfile')) outfile = 'curves_5-way-5-shot-continual.png'
set output outfile
set datafile separator ','
set datafile missing 'nan'
set grid
set title 'omniglot-grad: 5-way 5-shot, continual (30 runs)'
set xlabel 'classes (or functions) seen'
set ylabel 'accuracy on everything seen so far'
set key outside below left Left reverse samplen 3 maxcols 1 maxrows 9 font ',9'
set bmargin 14
set xtics 1
plot 'curves_5-way-5-shot-continual.csv' skip 1 using 1:3:4 with filledcurves fs transparent solid 0.25 lc rgb '#0072b2' notitle, \
     'curves_5-way-5-shot-continual.csv' skip 1 using 1:2 with lines lw 2 lc rgb '#0072b2' title 'FLP meta-trained (flp-omniglot-grad): meta-learned conv extractor, two plastic layers', \
     'curves_5-way-5-shot-continual.csv' skip 1 using 1:6:7 with filledcurves fs transparent solid 0.25 lc rgb '#d55e00' notitle, \
     'curves_5-way-5-shot-continual.csv' skip 1 using 1:5 with lines lw 2 lc rgb '#d55e00' title 'OML meta-trained (oml-omniglot-grad): meta-learned conv extractor, SGD on two layers (non-local head)', \
     'curves_5-way-5-shot-continual.csv' skip 1 using 1:9:10 with filledcurves fs transparent solid 0.25 lc rgb '#009e73' notitle, \
     'curves_5-way-5-shot-continual.csv' skip 1 using 1:8 with lines lw 2 lc rgb '#009e73' title 'nearest class mean on FLP''s meta-learned extractor', \
     'curves_5-way-5-shot-continual.csv' skip 1 using 1:12:13 with filledcurves fs transparent solid 0.25 lc rgb '#cc79a7' notitle, \
     'curves_5-way-5-shot-continual.csv' skip 1 using 1:11 with lines lw 2 lc rgb '#cc79a7' title 'nearest class mean on FLP''s meta-learned dense layer (at W(0), frozen)', \
     'curves_5-way-5-shot-continual.csv' skip 1 using 1:15:16 with filledcurves fs transparent solid 0.25 lc rgb '#e69f00' notitle, \
     'curves_5-way-5-shot-continual.csv' skip 1 using 1:14 with lines lw 2 lc rgb '#e69f00' title 'nearest class mean on OML''s meta-learned extractor', \
     'curves_5-way-5-shot-continual.csv' skip 1 using 1:18:19 with filledcurves fs transparent solid 0.25 lc rgb '#56b4e9' notitle, \
     'curves_5-way-5-shot-continual.csv' skip 1 using 1:17 with lines lw 2 lc rgb '#56b4e9' title 'FLP starting point (untrained extractor, P = 0.5)', \
     'curves_5-way-5-shot-continual.csv' skip 1 using 1:21:22 with filledcurves fs transparent solid 0.25 lc rgb '#000000' notitle, \
     'curves_5-way-5-shot-continual.csv' skip 1 using 1:20 with lines lw 2 lc rgb '#000000' title 'nearest class mean (pixels)', \
     'curves_5-way-5-shot-continual.csv' skip 1 using 1:24:25 with filledcurves fs transparent solid 0.25 lc rgb '#999999' notitle, \
     'curves_5-way-5-shot-continual.csv' skip 1 using 1:23 with lines lw 2 lc rgb '#999999' title 'FLP, output layer on pixels (not meta-trained; P swept)', \
     'curves_5-way-5-shot-continual.csv' skip 1 using 1:27:28 with filledcurves fs transparent solid 0.25 lc rgb '#0072b2' notitle, \
     'curves_5-way-5-shot-continual.csv' skip 1 using 1:26 with lines lw 2 lc rgb '#0072b2' dt 2 title 'online SGD, 784-256-N (non-local)'
