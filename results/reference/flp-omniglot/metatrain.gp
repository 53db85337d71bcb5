# Meta-training curve: candidates' meta-loss per generation (mean +- std, best)
# and the validation meta-loss of the mean on held-out episodes.
set terminal pngcairo size 900,540 noenhanced
set output 'metatrain.png'
set datafile separator ','
set datafile missing 'nan'
set grid
set title 'flp on omniglot: meta-training'
set xlabel 'generation'
set ylabel 'meta-loss (1 - accuracy)'
set key top right
set logscale y
plot 'metrics.csv' skip 2 using 1:(($3-$4)>0?$3-$4:$3/10):($3+$4) with filledcurves lc rgb '#c6dbef' title 'mean +- std', \
     'metrics.csv' skip 2 using 1:3 with lines lw 2 lc rgb '#08519c' title 'mean', \
     'metrics.csv' skip 2 using 1:2 with lines lc rgb '#6baed6' title 'best', \
     'metrics.csv' skip 1 using 1:5 with linespoints pt 7 lc rgb '#e6550d' title 'validation'
