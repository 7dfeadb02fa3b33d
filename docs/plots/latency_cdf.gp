set title 'Interrupt latency at the quantiles the probe reports (straight lines between them)'
set xlabel 'latency (us)'
set logscale x
set ylabel 'quantile'
set ytics ('min' 0, 'p50' 0.301, 'p90' 1, 'p99' 2, 'p99.9' 3, 'max' 4)
set yrange [-0.2:4.3]
set key bottom right
set grid
nines(q) = q >= 1 ? 4 : -log10(1 - q)
plot 'cdf_msi-raise_nexit.dat' using ($1/1000):(nines($2)) with linespoints lw 2 pt 7 dt 1 lc 1 title 'msi-raise nexit', \
     'cdf_msi-raise_qemu.dat' using ($1/1000):(nines($2)) with linespoints lw 2 pt 7 dt 2 lc 1 title 'msi-raise qemu', \
     'cdf_msi-completion_nexit.dat' using ($1/1000):(nines($2)) with linespoints lw 2 pt 7 dt 1 lc 2 title 'msi-completion nexit', \
     'cdf_msi-completion_qemu.dat' using ($1/1000):(nines($2)) with linespoints lw 2 pt 7 dt 2 lc 2 title 'msi-completion qemu', \
     'cdf_msi-completion-poll_nexit.dat' using ($1/1000):(nines($2)) with linespoints lw 2 pt 7 dt 1 lc 3 title 'msi-completion-poll nexit', \
     'cdf_msi-completion-poll_qemu.dat' using ($1/1000):(nines($2)) with linespoints lw 2 pt 7 dt 2 lc 3 title 'msi-completion-poll qemu', \
     'cdf_msi-completion-adaptive_nexit.dat' using ($1/1000):(nines($2)) with linespoints lw 2 pt 7 dt 1 lc 4 title 'msi-completion-adaptive nexit', \
     'cdf_msi-completion-adaptive_qemu.dat' using ($1/1000):(nines($2)) with linespoints lw 2 pt 7 dt 2 lc 4 title 'msi-completion-adaptive qemu', \
     'cdf_intx-split_nexit.dat' using ($1/1000):(nines($2)) with linespoints lw 2 pt 7 dt 1 lc 5 title 'intx-split nexit', \
     'cdf_intx-split_qemu.dat' using ($1/1000):(nines($2)) with linespoints lw 2 pt 7 dt 2 lc 5 title 'intx-split qemu', \
     'cdf_intx-kernel_nexit.dat' using ($1/1000):(nines($2)) with linespoints lw 2 pt 7 dt 1 lc 6 title 'intx-kernel nexit', \
     'cdf_intx-kernel_qemu.dat' using ($1/1000):(nines($2)) with linespoints lw 2 pt 7 dt 2 lc 6 title 'intx-kernel qemu'
