# Mean score matrix R[i][j]: score on class (function) j after learning 0..i.
set terminal pngcairo size 744,620 noenhanced
if (!exists('outfile')) outfile = 'heatmap_100-classes_oml-meta-trained-oml-omniglot-grad-lr-s.png'
set output outfile
set datafile separator ','
set datafile missing 'nan'
set grid
set cblabel 'mean accuracy (higher is better; dark = better)'
set datafile separator whitespace
unset grid
set title 'OML meta-trained (oml-omniglot-grad), lr swept (non-local head): 100 classes'
set xlabel 'evaluated on j'
set ylabel 'after learning i'
set xrange [-0.5:99.5]
set yrange [99.5:-0.5]
set palette defined (0 '#f7fbff', 1 '#08306b')
set cbrange [0:1]
plot 'heatmap_100-classes_oml-meta-trained-oml-omniglot-grad-lr-s.dat' matrix with image notitle
