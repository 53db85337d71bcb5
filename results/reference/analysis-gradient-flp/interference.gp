# Retroactive interference: loss change per online step on earlier segments, by age.
set terminal pngcairo size 900,520 noenhanced
if (!exists('outfile')) outfile = 'interference.png'
set output outfile
set datafile separator ','
set datafile missing 'nan'
set grid
set title 'retroactive interference: flp vs online SGD'
set xlabel 'age of the earlier segment (segments ago)'
set ylabel 'mean loss change per step (> 0: forgetting)'
set key outside right font ',9'
plot 'interference.csv' skip 1 using 1:2:3:4 with yerrorlines lw 2 lc rgb '#0072b2' title 'flp (exact)', \
     'interference.csv' skip 1 using 1:5 with lines dt 2 lc rgb '#0072b2' title 'flp (first order)', \
     'interference.csv' skip 1 using 1:6:7:8 with yerrorlines lw 2 lc rgb '#d55e00' title 'SGD (exact)', \
     'interference.csv' skip 1 using 1:9 with lines dt 2 lc rgb '#d55e00' title 'SGD (first order)'
