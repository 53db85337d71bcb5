# Continual curve on the evaluation pool: score on everything seen so far, with
# 95% bootstrap bands: the meta-trained rule, its starting point, online SGD.
set terminal pngcairo size 900,540 noenhanced
if (!exists('outfile')) outfile = 'curves.png'
set output outfile
set datafile separator ','
set datafile missing 'nan'
set grid
set title 'sgd on omniglot: continual curve (30 runs)'
set xlabel 'segments (functions or classes) seen'
set ylabel 'accuracy on segments seen so far'
set key outside right font ',9'
plot 'curves.csv' skip 1 using 1:3:4 with filledcurves fs transparent solid 0.25 lc rgb '#0072b2' notitle, \
     'curves.csv' skip 1 using 1:2 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#0072b2' title 'meta-trained', \
     'curves.csv' skip 1 using 1:6:7 with filledcurves fs transparent solid 0.25 lc rgb '#e69f00' notitle, \
     'curves.csv' skip 1 using 1:5 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#e69f00' title 'starting point', \
     'curves.csv' skip 1 using 1:9:10 with filledcurves fs transparent solid 0.25 lc rgb '#d55e00' notitle, \
     'curves.csv' skip 1 using 1:8 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#d55e00' title 'online SGD (non-local)'
