# The Linux guest's assets (docs/linux.md): a Debian kernel (bzImage) and an
# initramfs with busybox, under $(BUILD)/linux, cached behind a stamp.
# LINUX_KERNEL=/path/to/linux-image-*.deb or a bzImage uses that kernel.
.PHONY: linux-assets linux-direct
linux-assets:
	$(Q)LINUX_KERNEL=$(LINUX_KERNEL) sh tools/fetch-linux.sh $(BUILD)/linux

# The baseline: the same kernel directly under QEMU, no snpvisor.
linux-direct: linux-assets
	$(Q)python3 tools/linux_direct.py --build $(BUILD)
