# Continual-learning curves of one variant: score on everything seen so far,
# one line per method with its 95% bootstrap band.
set terminal pngcairo size 1000,720 noenhanced
if (!exists('outfile')) outfile = 'curves_continual-order.png'
set output outfile
set datafile separator ','
set datafile missing 'nan'
set grid
set title 'sine-gradients: continual order (50 runs)'
set xlabel 'classes (or functions) seen'
set ylabel 'MSE on everything seen so far'
set key outside below left Left reverse samplen 3 maxcols 1 maxrows 10 font ',9'
set bmargin 15
set xtics 1
plot 'curves_continual-order.csv' skip 1 using 1:3:4 with filledcurves fs transparent solid 0.25 lc rgb '#0072b2' notitle, \
     'curves_continual-order.csv' skip 1 using 1:2 with lines lw 2 lc rgb '#0072b2' title 'predict zero', \
     'curves_continual-order.csv' skip 1 using 1:6:7 with filledcurves fs transparent solid 0.25 lc rgb '#d55e00' notitle, \
     'curves_continual-order.csv' skip 1 using 1:5 with lines lw 2 lc rgb '#d55e00' title 'online SGD from scratch (non-local)', \
     'curves_continual-order.csv' skip 1 using 1:9:10 with filledcurves fs transparent solid 0.25 lc rgb '#009e73' notitle, \
     'curves_continual-order.csv' skip 1 using 1:8 with lines lw 2 lc rgb '#009e73' title 'i.i.d. multi-epoch oracle: SGD, 20 passes (non-local)', \
     'curves_continual-order.csv' skip 1 using 1:12:13 with filledcurves fs transparent solid 0.25 lc rgb '#cc79a7' notitle, \
     'curves_continual-order.csv' skip 1 using 1:11 with lines lw 2 lc rgb '#cc79a7' title 'pretraining: representation trained on the pool by SGD, SGD head (non-local)', \
     'curves_continual-order.csv' skip 1 using 1:15:16 with filledcurves fs transparent solid 0.25 lc rgb '#e69f00' notitle, \
     'curves_continual-order.csv' skip 1 using 1:14 with lines lw 2 lc rgb '#e69f00' title 'OML: representation and head meta-trained through the SGD head (second order)', \
     'curves_continual-order.csv' skip 1 using 1:18:19 with filledcurves fs transparent solid 0.25 lc rgb '#56b4e9' notitle, \
     'curves_continual-order.csv' skip 1 using 1:17 with lines lw 2 lc rgb '#56b4e9' title 'FLP, meta-learned layer 0 frozen, layer 1 and output plastic (11-100-100-1), continual episodes', \
     'curves_continual-order.csv' skip 1 using 1:21:22 with filledcurves fs transparent solid 0.25 lc rgb '#000000' notitle, \
     'curves_continual-order.csv' skip 1 using 1:20 with lines lw 2 lc rgb '#000000' title 'FLP, meta-learned layers 0-1 frozen, output plastic (Hebb form, beta 1; 11-100-100-1), continual episodes', \
     'curves_continual-order.csv' skip 1 using 1:24:25 with filledcurves fs transparent solid 0.25 lc rgb '#999999' notitle, \
     'curves_continual-order.csv' skip 1 using 1:23 with lines lw 2 lc rgb '#999999' title 'FLP meta-trained by meta-gradients, continual episodes', \
     'curves_continual-order.csv' skip 1 using 1:27:28 with filledcurves fs transparent solid 0.25 lc rgb '#0072b2' notitle, \
     'curves_continual-order.csv' skip 1 using 1:26 with lines lw 2 lc rgb '#0072b2' dt 2 title 'FLP meta-trained by meta-gradients, i.i.d. episodes (default campaign)', \
     'curves_continual-order.csv' skip 1 using 1:30:31 with filledcurves fs transparent solid 0.25 lc rgb '#d55e00' notitle, \
     'curves_continual-order.csv' skip 1 using 1:29 with lines lw 2 lc rgb '#d55e00' dt 2 title 'FLP meta-trained by evolution (flp-sine-es)'
