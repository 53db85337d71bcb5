# Forgetting per method: horizontal bars (mean over runs) with their 95% interval,
# the method names on the left.
set terminal pngcairo size 1400,500 noenhanced
if (!exists('outfile')) outfile = 'forgetting_i.i.d.-order.png'
set output outfile
set datafile separator ','
set datafile missing 'nan'
set grid
set title 'sine-gradients: i.i.d. order, forgetting'
set xlabel 'forgetting (MSE gained)'
set style fill solid 0.6
set yrange [9.6:-0.6]
unset key
set grid noytics
set ytics ('predict zero' 0, 'online SGD from scratch (non-local)' 1, 'i.i.d. multi-epoch oracle: SGD, 20 passes (non-local)' 2, 'pretraining: representation trained on the pool by SGD, SGD head (non-local)' 3, 'OML: representation and head meta-trained through the SGD head (second order)' 4, 'FLP, meta-learned layer 0 frozen, layer 1 and output plastic (11-100-100-1), continual episodes' 5, 'FLP, meta-learned layers 0-1 frozen, output plastic (Hebb form, beta 1; 11-100-100-1), continual episodes' 6, 'FLP meta-trained by meta-gradients, continual episodes' 7, 'FLP meta-trained by meta-gradients, i.i.d. episodes (default campaign)' 8, 'FLP meta-trained by evolution (flp-sine-es)' 9)
plot 'forgetting_i.i.d.-order.csv' skip 1 using (0):1:($2 < 0 ? $2 : 0):($2 < 0 ? 0 : $2):($1 - 0.3):($1 + 0.3) with boxxyerror lc rgb '#56b4e9', \
     'forgetting_i.i.d.-order.csv' skip 1 using 2:1:3:4 with xerrorbars lc rgb '#0072b2' pt 0
