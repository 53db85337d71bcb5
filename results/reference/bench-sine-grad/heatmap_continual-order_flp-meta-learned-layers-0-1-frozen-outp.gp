# Mean score matrix R[i][j]: score on class (function) j after learning 0..i.
set terminal pngcairo size 1158,620 noenhanced
if (!exists('outfile')) outfile = 'heatmap_continual-order_flp-meta-learned-layers-0-1-frozen-outp.png'
set output outfile
set datafile separator ','
set datafile missing 'nan'
set grid
set cblabel 'mean MSE (lower is better; dark = better)'
set datafile separator whitespace
unset grid
set title 'FLP, meta-learned layers 0-1 frozen, output plastic (Hebb form, beta 1; 11-100-100-1), continual episodes: continual order'
set xlabel 'evaluated on j'
set ylabel 'after learning i'
set xrange [-0.5:9.5]
set yrange [9.5:-0.5]
set palette defined (0 '#08306b', 1 '#f7fbff')
set cbrange [*:*]
plot 'heatmap_continual-order_flp-meta-learned-layers-0-1-frozen-outp.dat' matrix with image notitle
