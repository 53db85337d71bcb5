# Angle between each layer's feedback matrix and the transposed forward pathway.
set terminal pngcairo size 900,520 noenhanced
set output 'feedback_angle.png'
set datafile separator ','
set datafile missing 'nan'
set grid
set title 'feedback alignment over the episode: flp'
set xlabel 'segments learned'
set ylabel 'angle (degrees)'
set yrange [0:180]
set key outside right
plot 'feedback_angle.csv' skip 1 using 1:2:3:4 with yerrorlines title 'layer 0', \
     'feedback_angle.csv' skip 1 using 1:5:6:7 with yerrorlines title 'layer 1'
