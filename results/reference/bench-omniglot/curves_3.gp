# Continual-learning curves of one variant: score on everything seen so far,
# one line per method with its 95% bootstrap band.
set terminal pngcairo size 1000,680 noenhanced
set output 'curves_3.png'
set datafile separator ','
set datafile missing 'nan'
set grid
set title 'omniglot: 50-way 5-shot, continual (30 runs)'
set xlabel 'classes (or functions) seen'
set ylabel 'accuracy on everything seen so far'
set key outside below left Left reverse maxcols 1 samplen 3
set bmargin 13
plot 'curves_3.csv' skip 1 using 1:3:4 with filledcurves fs transparent solid 0.2 lc rgb '#08519c' notitle, \
     'curves_3.csv' skip 1 using 1:2 with lines lw 2 lc rgb '#08519c' title 'online SGD (non-local)', \
     'curves_3.csv' skip 1 using 1:6:7 with filledcurves fs transparent solid 0.2 lc rgb '#e6550d' notitle, \
     'curves_3.csv' skip 1 using 1:5 with lines lw 2 lc rgb '#e6550d' title 'OML-style: meta-learned representation (oml-omniglot), SGD head (non-local head)', \
     'curves_3.csv' skip 1 using 1:9:10 with filledcurves fs transparent solid 0.2 lc rgb '#31a354' notitle, \
     'curves_3.csv' skip 1 using 1:8 with lines lw 2 lc rgb '#31a354' title 'FLP meta-trained (flp-omniglot): meta-learned frozen layer, plastic output', \
     'curves_3.csv' skip 1 using 1:12:13 with filledcurves fs transparent solid 0.2 lc rgb '#756bb1' notitle, \
     'curves_3.csv' skip 1 using 1:11 with lines lw 2 lc rgb '#756bb1' title 'FLP starting point (random frozen layer, P = 0.5)', \
     'curves_3.csv' skip 1 using 1:15:16 with filledcurves fs transparent solid 0.2 lc rgb '#636363' notitle, \
     'curves_3.csv' skip 1 using 1:14 with lines lw 2 lc rgb '#636363' title 'FLP, output layer on pixels (not meta-trained; P swept)', \
     'curves_3.csv' skip 1 using 1:18:19 with filledcurves fs transparent solid 0.2 lc rgb '#d6616b' notitle, \
     'curves_3.csv' skip 1 using 1:17 with lines lw 2 lc rgb '#d6616b' title 'DFA', \
     'curves_3.csv' skip 1 using 1:21:22 with filledcurves fs transparent solid 0.2 lc rgb '#3182bd' notitle, \
     'curves_3.csv' skip 1 using 1:20 with lines lw 2 lc rgb '#3182bd' title 'ABCD Hebbian (teacher post), output layer on pixels', \
     'curves_3.csv' skip 1 using 1:24:25 with filledcurves fs transparent solid 0.2 lc rgb '#fd8d3c' notitle, \
     'curves_3.csv' skip 1 using 1:23 with lines lw 2 lc rgb '#fd8d3c' title 'nearest class mean (pixels)'
