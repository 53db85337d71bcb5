# Cosines between the updates of probe pairs: same segment and different segments.
set terminal pngcairo size 900,520 noenhanced
if (!exists('outfile')) outfile = 'cosines.png'
set output outfile
set datafile separator ','
set datafile missing 'nan'
set grid
set title 'update-update cosines: flp vs online SGD'
set xlabel 'cosine'
set ylabel 'fraction of pairs'
set key top left font ',9'
set style fill transparent solid 0.35
plot 'cosines.csv' skip 1 using 1:3 with boxes lc rgb '#0072b2' title 'flp, across segments', \
     'cosines.csv' skip 1 using 1:5 with boxes lc rgb '#d55e00' title 'SGD, across segments', \
     'cosines.csv' skip 1 using 1:2 with lines lw 2 lc rgb '#0072b2' title 'flp, same segment', \
     'cosines.csv' skip 1 using 1:4 with lines lw 2 lc rgb '#d55e00' title 'SGD, same segment'
