# boot: the GNU-EFI entry (the only code that calls UEFI).
BOOT_SRCS += boot/efi_main.c
