# Linear-probe test accuracy of each layer's features, per method: mean over seeds with a 95% Student-t interval (methods side by side around each layer).
set terminal pngcairo size 900,620 noenhanced
if (!exists('outfile')) outfile = 'probe.png'
set output outfile
set datafile separator ','
set datafile missing 'nan'
set grid
set title 'probe-es-gain: linear-probe accuracy per layer (mean, 95% CI over 5 seeds)'
set xlabel 'layer'
set ylabel 'linear-probe accuracy'
set key outside below left Left reverse samplen 3 maxcols 1 maxrows 3 font ',9'
set bmargin 8
set xtics 1
set xrange [-0.5:2.5]
plot 'probe.csv' skip 1 using 1:2:3:4 with yerrorlines lw 2 lc rgb '#0072b2' title 'random encoder', \
     'probe.csv' skip 1 using 1:5:6:7 with yerrorlines lw 2 lc rgb '#d55e00' title 'layer-wise hinge BP, hand-set coefficients', \
     'probe.csv' skip 1 using 1:8:9:10 with yerrorlines lw 2 lc rgb '#009e73' title 'layer-wise hinge BP, meta-learned coefficients (hinge-probe-es)'
