# Sample x sample cosine of the updates at the end of the episode (probes grouped by segment).
set terminal pngcairo size 700,620 noenhanced
if (!exists('outfile')) outfile = 'heatmap_sgd.png'
set output outfile
set datafile separator ','
set datafile missing 'nan'
set grid
set datafile separator whitespace
unset grid
set title 'update cosines, online SGD (4 probes per segment)'
set xrange [-0.5:39.5]
set yrange [39.5:-0.5]
set palette defined (-1 '#b2182b', 0 '#f7f7f7', 1 '#2166ac')
set cbrange [-1:1]
plot 'heatmap_sgd.dat' matrix with image notitle
