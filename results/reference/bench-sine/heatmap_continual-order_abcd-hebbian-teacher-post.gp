# Mean score matrix R[i][j]: score on class (function) j after learning 0..i.
set terminal pngcairo size 700,620 noenhanced
if (!exists('outfile')) outfile = 'heatmap_continual-order_abcd-hebbian-teacher-post.png'
set output outfile
set datafile separator ','
set datafile missing 'nan'
set grid
set cblabel 'mean MSE (lower is better; dark = better)'
set datafile separator whitespace
unset grid
set title 'ABCD Hebbian (teacher post): continual order'
set xlabel 'evaluated on j'
set ylabel 'after learning i'
set xrange [-0.5:9.5]
set yrange [9.5:-0.5]
set palette defined (0 '#08306b', 1 '#f7fbff')
set cbrange [*:*]
plot 'heatmap_continual-order_abcd-hebbian-teacher-post.dat' matrix with image notitle
