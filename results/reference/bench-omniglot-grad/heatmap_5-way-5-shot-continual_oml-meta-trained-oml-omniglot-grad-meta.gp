# Mean score matrix R[i][j]: score on class (function) j after learning 0..i.
set terminal pngcairo size 1194,620 noenhanced
if (!exists('outfile')) outfile = 'heatmap_5-way-5-shot-continual_oml-meta-trained-oml-omniglot-grad-meta.png'
set output outfile
set datafile separator ','
set datafile missing 'nan'
set grid
set cblabel 'mean accuracy (higher is better; dark = better)'
set datafile separator whitespace
unset grid
set title 'OML meta-trained (oml-omniglot-grad): meta-learned conv extractor, SGD on two layers (non-local head): 5-way 5-shot, continual'
set xlabel 'evaluated on j'
set ylabel 'after learning i'
set xrange [-0.5:4.5]
set yrange [4.5:-0.5]
set palette defined (0 '#f7fbff', 1 '#08306b')
set cbrange [0:1]
plot 'heatmap_5-way-5-shot-continual_oml-meta-trained-oml-omniglot-grad-meta.dat' matrix with image notitle
