# Forgetting per method: horizontal bars (mean over runs) with their 95% interval,
# the method names on the left.
set terminal pngcairo size 1080,356 noenhanced
if (!exists('outfile')) outfile = 'forgetting_i.i.d.-order.png'
set output outfile
set datafile separator ','
set datafile missing 'nan'
set grid
set title 'sine: i.i.d. order, forgetting'
set xlabel 'forgetting (MSE gained)'
set style fill solid 0.6
set yrange [5.6:-0.6]
unset key
set grid noytics
set ytics ('online SGD (non-local)' 0, 'OML-style: meta-learned representation, SGD head (non-local head)' 1, 'FLP meta-trained (default campaign)' 2, 'FLP starting point' 3, 'DFA' 4, 'ABCD Hebbian (teacher post)' 5)
plot 'forgetting_i.i.d.-order.csv' skip 1 using (0):1:($2 < 0 ? $2 : 0):($2 < 0 ? 0 : $2):($1 - 0.3):($1 + 0.3) with boxxyerror lc rgb '#56b4e9', \
     'forgetting_i.i.d.-order.csv' skip 1 using 2:1:3:4 with xerrorbars lc rgb '#0072b2' pt 0
