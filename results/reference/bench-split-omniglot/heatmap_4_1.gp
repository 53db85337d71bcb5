# Mean score matrix R[i][j]: score on class (function) j after learning 0..i.
set terminal pngcairo size 700,620 noenhanced
set output 'heatmap_4_1.png'
set datafile separator ','
set datafile missing 'nan'
set grid
set datafile separator whitespace
set title 'SGD head on a fixed random layer (non-local): all 106 evaluation classes'
set xlabel 'evaluated on j'
set ylabel 'after learning i'
set xrange [-0.5:105.5]
set yrange [105.5:-0.5]
set palette defined (0 '#f7fbff', 1 '#08306b')
set cbrange [0:1]
unset grid
plot 'heatmap_4_1.dat' matrix with image notitle
