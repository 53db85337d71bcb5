# Linear-probe test accuracy of each layer's features, per method: mean over seeds with a 95% Student-t interval (methods side by side around each layer).
set terminal pngcairo size 900,620 noenhanced
if (!exists('outfile')) outfile = 'probe.png'
set output outfile
set datafile separator ','
set datafile missing 'nan'
set grid
set title 'probe-clutter: linear-probe accuracy per layer (mean, 95% CI over 10 seeds)'
set xlabel 'layer'
set ylabel 'linear-probe accuracy'
set key outside below left Left reverse samplen 3 maxcols 2 maxrows 3 font ',9'
set bmargin 8
set xtics 1
set xrange [-0.5:1.5]
plot 'probe.csv' skip 1 using 1:2:3:4 with yerrorlines lw 2 lc rgb '#0072b2' title 'random encoder', \
     'probe.csv' skip 1 using 1:5:6:7 with yerrorlines lw 2 lc rgb '#d55e00' title 'layer-wise hinge BP', \
     'probe.csv' skip 1 using 1:8:9:10 with yerrorlines lw 2 lc rgb '#009e73' title 'layer-wise hinge RF', \
     'probe.csv' skip 1 using 1:11:12:13 with yerrorlines lw 2 lc rgb '#cc79a7' title 'layer-wise hinge URF', \
     'probe.csv' skip 1 using 1:14:15:16 with yerrorlines lw 2 lc rgb '#e69f00' title 'CLAPP (8x8 glimpses, stride 8)', \
     'probe.csv' skip 1 using 1:17:18:19 with yerrorlines lw 2 lc rgb '#56b4e9' title 'random encoder (8x8 glimpses)'
