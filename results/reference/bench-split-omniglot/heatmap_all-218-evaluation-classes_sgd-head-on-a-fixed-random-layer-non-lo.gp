# Mean score matrix R[i][j]: score on class (function) j after learning 0..i.
set terminal pngcairo size 708,620 noenhanced
if (!exists('outfile')) outfile = 'heatmap_all-218-evaluation-classes_sgd-head-on-a-fixed-random-layer-non-lo.png'
set output outfile
set datafile separator ','
set datafile missing 'nan'
set grid
set cblabel 'mean accuracy (higher is better; dark = better)'
set datafile separator whitespace
unset grid
set title 'SGD head on a fixed random layer (non-local): all 218 evaluation classes'
set xlabel 'evaluated on j'
set ylabel 'after learning i'
set xrange [-0.5:217.5]
set yrange [217.5:-0.5]
set palette defined (0 '#f7fbff', 1 '#08306b')
set cbrange [0:1]
plot 'heatmap_all-218-evaluation-classes_sgd-head-on-a-fixed-random-layer-non-lo.dat' matrix with image notitle
