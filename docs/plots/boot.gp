set title 'Process start to first guest serial line'
set ylabel 'ms'
lbl(x) = sprintf('%.1f', x)
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set datafile missing '?'
set key top left
set grid ytics
set yrange [0:*]
set xtics rotate by -20
plot 'boot.dat' using 2:xtic(1) title 'nexit' lc rgb '#1b9e77', '' using 3 title 'QEMU/KVM' lc rgb '#d95f02', '' using ($0 - 1.0/6):($2 == $2 ? $2 : 0):($2 == $2 ? lbl($2) : '') with labels offset 0,0.6 font ',9' notitle, '' using ($0 + 1.0/6):($3 == $3 ? $3 : 0):($3 == $3 ? lbl($3) : '') with labels offset 0,0.6 font ',9' notitle
