# Meta-training curve: candidates' meta-loss per generation (mean +- std, best)
# and the validation meta-loss of the mean on held-out episodes; the y range leaves
# out outliers (diverging candidates), the dashed line is the best generation.
set terminal pngcairo size 900,540 noenhanced
if (!exists('outfile')) outfile = 'metatrain.png'
set output outfile
set datafile separator ','
set datafile missing 'nan'
set grid
set title 'hinge on views: meta-training'
set xlabel 'generation'
set ylabel 'meta-loss (1 - held-out linear-probe accuracy (top layer))'
set key top right font ',9'
set arrow from 9, graph 0 to 9, graph 1 nohead dt 2 lw 1.5 lc rgb '#000000'
set label 'best: generation 9' at 9, graph 0.96 left offset 0.5,0 font ',9'
set yrange [0.226876:0.306521]
plot 'metrics.csv' skip 2 using 1:(($3-$4)>0?$3-$4:$3/10):($3+$4) with filledcurves fs transparent solid 0.25 lc rgb '#0072b2' title 'mean +- std', \
     'metrics.csv' skip 2 using 1:3 with lines lw 2 lc rgb '#0072b2' title 'mean', \
     'metrics.csv' skip 2 using 1:2 with lines lw 2 lc rgb '#56b4e9' title 'best', \
     'metrics.csv' skip 1 using 1:5 with linespoints lw 2 pt 7 ps 0.8 lc rgb '#d55e00' title 'validation'
