# l2case=net: drive a virtio-net function with Linux's own drivers
# (virtio_pci + virtio_net) and report raw counts for the host to check.
# Kernel command line knobs (init's environment): l2link=1 waits for the
# host to take the link down and up (QMP set_link on L0's NIC: a config
# interrupt each). Lines:
#   L2-NET if=IF driver=DRIVER pci=BDF
#   L2-IRQ <phase> <the /proc/interrupts line of each virtio0 vector>
#   L2-AFFINITY before|after irq N cpus LIST
#   L2-SNAP start|end      (L1 records nexit's live stats: NEXIT-SNAP start|end {...})
#   L2-WINDOW exits=N      VMM exits (nexit's counter page) while 60 pings went out
#   L2-LINK-WAIT / L2-LINK-DOWN ok|timeout / L2-LINK-UP ok|timeout
#   L2-STATS tx_packets=N rx_packets=N
irqs() { grep 'virtio' /proc/interrupts | sed "s/^/L2-IRQ $1 /"; }
affinity() {	# phase: the CPUs each virtio vector is delivered to
	for i in /proc/irq/*/effective_affinity_list; do
		n=$(basename $(dirname $i))
		grep -q "^ *$n:.*virtio" /proc/interrupts && echo "L2-AFFINITY $1 irq $n cpus $(cat $i)"
	done
}
exits() { devmem 0xfed00008 64; }	# counter page: exits so far, minus this read
carrier_is() {	# value, tenths of a second to wait
	i=0
	while [ $i -lt $2 ]; do
		[ "$(cat /sys/class/net/$ifc/carrier 2>/dev/null)" = "$1" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

ifc=""
for i in $(seq 100); do
	ifc=$(ls /sys/class/net | grep -v '^lo$' | head -n 1)
	[ -n "$ifc" ] && break
	sleep 0.1
done
[ -n "$ifc" ] || { echo "L2-NET none"; exit 1; }
dev=$(readlink -f /sys/class/net/$ifc/device)
echo "L2-NET if=$ifc driver=$(basename $(readlink $dev/driver)) pci=$(basename $(dirname $dev))"
irqs boot
ip link set $ifc up
ip addr add 192.0.2.2/24 dev $ifc
# A static neighbour: the pings leave at once, no ARP (192.0.2.0/24 is
# TEST-NET-1, RFC 5737; nothing answers, nothing leaves L0's QEMU).
arp -s 192.0.2.1 02:00:00:00:00:01
carrier_is 1 100 || echo "L2-NOTE no carrier"
# Warm-up: what Linux does once when an interface starts carrying traffic
# happens before the window. x86 moves an MSI's vector at the first
# interrupt after an affinity change (mask, new message, unmask: a few
# exits, once), so every vector fires here first: TX with pings, RX with
# ARP replies from QEMU's user network (10.0.2.2 answers ARP even with
# restrict=on; the loopback backend reflects the requests).
ip addr add 10.0.2.15/24 dev $ifc
ping -q -c 10 -i 0.1 -W 1 192.0.2.1 >/dev/null 2>&1
arping -c 3 -w 3 -I $ifc 10.0.2.2 >/dev/null 2>&1
sleep 2
affinity before
irqs before
# L1 snapshots nexit's live stats (nexit stat) on each L2-SNAP line; the
# pauses give it the time, outside the window.
echo "L2-SNAP start"
sleep 1
a=$(exits)
ping -q -c 60 -i 0.05 -W 1 192.0.2.1 >/dev/null 2>&1
b=$(exits)
echo "L2-WINDOW exits=$((b - a - 1))"
echo "L2-SNAP end"
sleep 1
affinity after
irqs after
if [ "$l2link" = 1 ]; then
	echo "L2-LINK-WAIT"
	if carrier_is 0 600; then echo "L2-LINK-DOWN ok"; else echo "L2-LINK-DOWN timeout"; fi
	if carrier_is 1 600; then echo "L2-LINK-UP ok"; else echo "L2-LINK-UP timeout"; fi
	irqs link
fi
echo "L2-STATS tx_packets=$(cat /sys/class/net/$ifc/statistics/tx_packets) rx_packets=$(cat /sys/class/net/$ifc/statistics/rx_packets)"
# Quiesce, then the last word: the device is down, its interrupt line quiet,
# so these counts are final (the host compares them with nexit's).
ip link set $ifc down
sleep 1
irqs final
