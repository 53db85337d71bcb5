# Mean score matrix R[i][j]: score on class (function) j after learning 0..i.
set terminal pngcairo size 700,620 noenhanced
if (!exists('outfile')) outfile = 'heatmap_200-classes_sgd-head-on-a-fixed-random-layer-non-lo.png'
set output outfile
set datafile separator ','
set datafile missing 'nan'
set grid
set cblabel 'mean accuracy (higher is better; dark = better)'
set datafile separator whitespace
unset grid
set title 'SGD head on a fixed random layer (non-local): 200 classes'
set xlabel 'evaluated on j'
set ylabel 'after learning i'
set xrange [-0.5:199.5]
set yrange [199.5:-0.5]
set palette defined (0 '#f7fbff', 1 '#08306b')
set cbrange [0:1]
plot 'heatmap_200-classes_sgd-head-on-a-fixed-random-layer-non-lo.dat' matrix with image notitle
