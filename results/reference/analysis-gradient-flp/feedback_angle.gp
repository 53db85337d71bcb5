# Angle between each layer's feedback matrix and the transposed forward pathway.
set terminal pngcairo size 900,520 noenhanced
if (!exists('outfile')) outfile = 'feedback_angle.png'
set output outfile
set datafile separator ','
set datafile missing 'nan'
set grid
set title 'feedback alignment over the episode: flp'
set xlabel 'segments learned'
set ylabel 'angle (degrees)'
set key outside right font ',9'
set yrange [0:180]
plot 'feedback_angle.csv' skip 1 using 1:2:3:4 with yerrorlines lw 2 lc rgb '#0072b2' title 'layer 0', \
     'feedback_angle.csv' skip 1 using 1:5:6:7 with yerrorlines lw 2 lc rgb '#d55e00' title 'layer 1'
