# Mean score matrix R[i][j]: score on class (function) j after learning 0..i.
set terminal pngcairo size 924,620 noenhanced
if (!exists('outfile')) outfile = 'heatmap_50-way-5-shot-continual_nearest-class-mean-on-flp-s-meta-l-2.png'
set output outfile
set datafile separator ','
set datafile missing 'nan'
set grid
set cblabel 'mean accuracy (higher is better; dark = better)'
set datafile separator whitespace
unset grid
set title 'nearest class mean on FLP''s meta-learned dense layer (at W(0), frozen): 50-way 5-shot, continual'
set xlabel 'evaluated on j'
set ylabel 'after learning i'
set xrange [-0.5:49.5]
set yrange [49.5:-0.5]
set palette defined (0 '#f7fbff', 1 '#08306b')
set cbrange [0:1]
plot 'heatmap_50-way-5-shot-continual_nearest-class-mean-on-flp-s-meta-l-2.dat' matrix with image notitle
