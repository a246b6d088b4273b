# Guest programs: flat binaries linked at their load GPA (guest/lib/guest.ld),
# built with the host gcc, SSE allowed. $(BUILD)/guests/<name>.bin.
GUESTS += cbitprobe hello selftest triple npf badport spin cpuidbench snptest psctest edutest attest
GUESTS += malicious costbench

GUEST_CC ?= $(HOST_CC)
GUEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -I. \
	-ffreestanding -nostdlib -mno-red-zone -fno-pic -fno-pie -static -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fno-builtin -fcf-protection=none
GUEST_OBJ := $(BUILD)/guest-obj
GUEST_LIB_SRCS := guest/lib/start.S guest/lib/lib.c guest/lib/printf.c guest/lib/snp.c guest/lib/vc.S \
	snp/aes_gcm.c snp/guest_msg.c
GUEST_LIB_OBJS := $(patsubst %,$(GUEST_OBJ)/%.o,$(basename $(GUEST_LIB_SRCS)))
GUEST_IMAGES := $(patsubst %,$(BUILD)/guests/%.bin,$(GUESTS))
# noheader.bin: hello.bin with its SNP image header's magic zeroed, for the
# refusal test (tests/qemu/snp-image-bad.cfg); still a valid plain guest.
GUEST_IMAGES += $(BUILD)/guests/noheader.bin

$(GUEST_OBJ)/guest/%.o: guest/%.c
	@mkdir -p $(dir $@)
	@echo "  GUESTCC $<"
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

# pure sources the guest library shares with the hypervisor (snp/aes_gcm.c, snp/guest_msg.c)
$(GUEST_OBJ)/snp/%.o: snp/%.c
	@mkdir -p $(dir $@)
	@echo "  GUESTCC $<"
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(GUEST_OBJ)/guest/%.o: guest/%.S
	@mkdir -p $(dir $@)
	@echo "  GUESTAS $<"
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) -D__ASSEMBLY__ -MMD -MP -c $< -o $@

$(BUILD)/guests/%.elf: $(GUEST_OBJ)/guest/%.o $(GUEST_LIB_OBJS) guest/lib/guest.ld
	@mkdir -p $(dir $@)
	@echo "  GUESTLD $@"
	$(Q)$(GUEST_CC) -nostdlib -static -no-pie -Wl,--build-id=none -Wl,--no-warn-rwx-segments -Wl,-T,guest/lib/guest.ld \
		$(GUEST_LIB_OBJS) $< -o $@

$(BUILD)/guests/%.bin: $(BUILD)/guests/%.elf
	$(Q)objcopy -O binary $< $@

$(BUILD)/guests/noheader.bin: $(BUILD)/guests/hello.bin
	$(Q)cp $< $@.tmp && printf '\000\000\000\000' | dd of=$@.tmp bs=1 seek=4 conv=notrunc status=none \
		&& mv $@.tmp $@

.PHONY: guests
guests: $(GUEST_IMAGES)

# The nosev test kernel (guest/nosev/): a bzImage whose 64-bit code knows
# nothing of SEV, for the bad-input scenario tests/qemu/linux-snp-nosev.cfg
# (docs/linux.md "Bad inputs"). Position-independent: the loader may place
# it anywhere, so kernel.o must hold no absolute relocation (checked).
NOSEV_CFLAGS := $(filter-out -g -fno-pic -fno-pie -static,$(GUEST_CFLAGS)) -fpie -fvisibility=hidden \
	-mgeneral-regs-only
NOSEV_OBJS := $(GUEST_OBJ)/nosev/head.o $(GUEST_OBJ)/nosev/kernel.o

$(GUEST_OBJ)/nosev/kernel.o: guest/nosev/kernel.c
	@mkdir -p $(dir $@)
	@echo "  GUESTCC $<"
	$(Q)$(GUEST_CC) $(NOSEV_CFLAGS) -MMD -MP -c $< -o $@
	$(Q)if readelf -rW $@ | grep -E 'R_X86_64_(64|32S?|GOT[A-Z0-9]*) ' ; then \
		echo "$<: absolute or GOT relocations above: the kernel must be position-independent"; \
		rm -f $@; exit 1; fi

$(GUEST_OBJ)/nosev/head.o: guest/nosev/head.S
	@mkdir -p $(dir $@)
	@echo "  GUESTAS $<"
	$(Q)$(GUEST_CC) $(NOSEV_CFLAGS) -D__ASSEMBLY__ -MMD -MP -c $< -o $@

$(BUILD)/guests/nosev.elf: $(NOSEV_OBJS) guest/nosev/nosev.ld
	@mkdir -p $(dir $@)
	@echo "  GUESTLD $@"
	$(Q)$(GUEST_CC) -nostdlib -static -no-pie -Wl,--build-id=none -Wl,--no-warn-rwx-segments \
		-Wl,-T,guest/nosev/nosev.ld $(NOSEV_OBJS) -o $@

$(BUILD)/guests/nosev-vmlinuz: $(BUILD)/guests/nosev.elf
	$(Q)objcopy -O binary $< $@

GUEST_IMAGES += $(BUILD)/guests/nosev-vmlinuz
-include $(NOSEV_OBJS:.o=.d)
