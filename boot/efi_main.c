/* The UEFI entry of hv.efi (GNU-EFI). The only code that calls UEFI.
 *
 * It prints a banner, finds the ACPI RSDP, loads every file of the ESP folder
 * it was started from (hv.cfg and guest images) into LoaderData pages, reads
 * the memory map, calls ExitBootServices (retrying when the map key went
 * stale, UEFI 2.9 section 7.4), and hands a plain struct boot_info to hv_main.
 * Before that it reserves the pages of the AP start-up trampoline below
 * 1 MiB (a SIPI vector addresses only 4K pages there; docs/smp.md). */
#include <efi.h>
#include <efilib.h>

#include "boot/boot_info.h"

extern char _text[], _etext[], _data[], _edata[];

#define MAX_FILE_BYTES (256ULL << 20)
#define EXIT_BS_TRIES  8

static EFI_GUID acpi20_guid = ACPI_20_TABLE_GUID;
static EFI_GUID acpi10_guid = ACPI_TABLE_GUID;

static void bzero_bytes(void *p, UINTN n)
{
	volatile UINT8 *b = p;

	while (n--)
		*b++ = 0;
}

static UINT32 mem_kind(UINT32 t)
{
	switch (t) {
	case EfiConventionalMemory:
		return BOOT_MEM_USABLE;
	case EfiLoaderCode:
	case EfiLoaderData:
	case EfiBootServicesCode:
	case EfiBootServicesData:
		return BOOT_MEM_LOADER;
	case EfiRuntimeServicesCode:
	case EfiRuntimeServicesData:
		return BOOT_MEM_RUNTIME;
	case EfiACPIReclaimMemory:
	case EfiACPIMemoryNVS:
		return BOOT_MEM_ACPI;
	case EfiMemoryMappedIO:
	case EfiMemoryMappedIOPortSpace:
		return BOOT_MEM_MMIO;
	default:
		return BOOT_MEM_RESERVED;
	}
}

static UINT64 find_rsdp(EFI_SYSTEM_TABLE *st)
{
	UINT64 v1 = 0;

	for (UINTN i = 0; i < st->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &st->ConfigurationTable[i];

		if (!CompareGuid(&t->VendorGuid, &acpi20_guid))
			return (UINT64)(UINTN)t->VendorTable;
		if (!CompareGuid(&t->VendorGuid, &acpi10_guid))
			v1 = (UINT64)(UINTN)t->VendorTable;
	}
	return v1;
}

/* Loads one file of the folder into fresh LoaderData pages. */
static EFI_STATUS load_file(EFI_FILE_HANDLE dir, EFI_FILE_INFO *info, struct boot_file *out)
{
	EFI_FILE_HANDLE f;
	EFI_PHYSICAL_ADDRESS addr = 0;
	UINTN size = info->FileSize, pages, i;
	EFI_STATUS s;

	if (size > MAX_FILE_BYTES) {
		Print(L"snpvisor: %s is larger than 256 MiB, not loaded\n", info->FileName);
		return EFI_BAD_BUFFER_SIZE;
	}
	for (i = 0; info->FileName[i] && i < BOOT_FILE_NAME_MAX - 1; i++)
		out->name[i] = info->FileName[i] < 128 ? (char)info->FileName[i] : '?';
	out->name[i] = 0;
	pages = EFI_SIZE_TO_PAGES(size ? size : 1);
	s = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages, EfiLoaderData, pages, &addr);
	if (EFI_ERROR(s))
		return s;
	bzero_bytes((void *)(UINTN)addr, pages * EFI_PAGE_SIZE);
	s = uefi_call_wrapper(dir->Open, 5, dir, &f, info->FileName, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(s))
		return s;
	s = uefi_call_wrapper(f->Read, 3, f, &size, (void *)(UINTN)addr);
	uefi_call_wrapper(f->Close, 1, f);
	if (EFI_ERROR(s))
		return s;
	out->addr = addr;
	out->size = size;
	return EFI_SUCCESS;
}

/* Loads every regular file of the folder hv.efi was started from, except
 * hv.efi itself. */
static void load_folder(EFI_HANDLE image, EFI_LOADED_IMAGE *li, struct boot_info *bi)
{
	EFI_FILE_HANDLE root, dir;
	CHAR16 *path, *slash = NULL, *self;
	UINT8 buf[SIZE_OF_EFI_FILE_INFO + 512] __attribute__((aligned(8)));
	EFI_STATUS s;

	root = LibOpenRoot(li->DeviceHandle);
	if (!root) {
		Print(L"snpvisor: cannot open the boot volume; no files loaded\n");
		return;
	}
	path = DevicePathToStr(li->FilePath);
	if (!path) {
		Print(L"snpvisor: no image path; no files loaded\n");
		return;
	}
	for (CHAR16 *p = path; *p; p++)
		if (*p == L'\\' || *p == L'/')
			slash = p;
	self = slash ? slash + 1 : path;
	if (slash)
		*slash = 0;
	s = uefi_call_wrapper(root->Open, 5, root, &dir, slash && slash != path ? path : L"\\",
			      EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(s)) {
		Print(L"snpvisor: cannot open folder %s: %r\n", path, s);
		return;
	}
	for (;;) {
		UINTN n = sizeof(buf);
		EFI_FILE_INFO *info = (EFI_FILE_INFO *)buf;

		s = uefi_call_wrapper(dir->Read, 3, dir, &n, buf);
		if (EFI_ERROR(s) || n == 0)
			break;
		if (info->Attribute & EFI_FILE_DIRECTORY)
			continue;
		if (!StriCmp(info->FileName, self))
			continue;
		if (bi->nr_files >= BOOT_FILES_MAX) {
			Print(L"snpvisor: more than %d files in the folder; %s not loaded\n",
			      BOOT_FILES_MAX, info->FileName);
			continue;
		}
		s = load_file(dir, info, &bi->files[bi->nr_files]);
		if (EFI_ERROR(s)) {
			Print(L"snpvisor: loading %s failed: %r\n", info->FileName, s);
			continue;
		}
		bi->nr_files++;
	}
	uefi_call_wrapper(dir->Close, 1, dir);
	FreePool(path);
}

/* BOOT_TRAMPOLINE_PAGES LoaderData pages below 1 MiB for the AP start-up
 * trampoline (Intel SDM vol 3A 9.4.4.1 / AMD APM vol 2 16.5: the start-up
 * IPI's vector is the 4K page number of the real-mode entry, so the page
 * must lie below 1 MiB). After ExitBootServices nothing else may be
 * allocated there, hence now. Page 0 is refused (the hypervisor leaves it
 * unmapped); 0 is returned when UEFI has no room, and hv_main then runs on
 * the BSP alone. */
static UINT64 reserve_trampoline(void)
{
	for (int tries = 0; tries < 2; tries++) {
		EFI_PHYSICAL_ADDRESS addr = BOOT_TRAMPOLINE_LIMIT;
		EFI_STATUS s = uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress,
						 EfiLoaderData, BOOT_TRAMPOLINE_PAGES, &addr);

		if (EFI_ERROR(s)) {
			Print(L"snpvisor: no %d pages below 1 MiB for the AP trampoline: %r\n",
			      BOOT_TRAMPOLINE_PAGES, s);
			return 0;
		}
		/* Page aligned (AllocatePages works in 4K pages). Page 0 stays
		 * allocated, and the loop tries once more. */
		if (addr)
			return addr;
	}
	return 0;
}

static void fill_mmap(struct boot_info *bi, UINT8 *map, UINTN size, UINTN desc_size)
{
	bi->nr_mem = 0;
	for (UINTN off = 0; off + desc_size <= size; off += desc_size) {
		EFI_MEMORY_DESCRIPTOR *d = (EFI_MEMORY_DESCRIPTOR *)(map + off);
		struct boot_mem_range *r;

		if (bi->nr_mem >= BOOT_MMAP_MAX)
			break; /* hv_main reports the truncation through nr_mem == max */
		r = &bi->mem[bi->nr_mem++];
		r->base = d->PhysicalStart;
		r->pages = d->NumberOfPages;
		r->efi_type = d->Type;
		r->kind = mem_kind(d->Type);
		r->attr = d->Attribute;
	}
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st);
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	EFI_LOADED_IMAGE *li = NULL;
	EFI_PHYSICAL_ADDRESS bi_addr = 0, map_addr = 0;
	struct boot_info *bi;
	UINTN bi_pages = EFI_SIZE_TO_PAGES(sizeof(*bi));
	UINTN map_size = 0, map_key, desc_size, map_cap;
	UINT32 desc_ver;
	EFI_STATUS s;
	UINT32 tries;

	InitializeLib(image, st);
	Print(L"snpvisor: UEFI loader (firmware %s rev %x)\n", st->FirmwareVendor,
	      st->FirmwareRevision);

	s = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li);
	if (EFI_ERROR(s)) {
		Print(L"snpvisor: no LoadedImage protocol: %r\n", s);
		return s;
	}
	s = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages, EfiLoaderData, bi_pages,
			      &bi_addr);
	if (EFI_ERROR(s)) {
		Print(L"snpvisor: cannot allocate boot_info: %r\n", s);
		return s;
	}
	bi = (struct boot_info *)(UINTN)bi_addr;
	bzero_bytes(bi, bi_pages * EFI_PAGE_SIZE);
	bi->magic = BOOT_INFO_MAGIC;
	bi->image_base = (UINT64)(UINTN)li->ImageBase;
	bi->image_size = li->ImageSize;
	bi->text_start = (UINT64)(UINTN)_text;
	bi->text_end = (UINT64)(UINTN)_etext;
	bi->data_start = (UINT64)(UINTN)_data;
	bi->data_end = (UINT64)(UINTN)_edata;
	bi->boot_data_base = bi_addr;
	bi->boot_data_pages = bi_pages;
	bi->rsdp = find_rsdp(st);
	bi->fw_revision = st->FirmwareRevision;
	for (UINTN i = 0; st->FirmwareVendor[i] && i < sizeof(bi->fw_vendor) - 1; i++)
		bi->fw_vendor[i] = st->FirmwareVendor[i] < 128 ? (char)st->FirmwareVendor[i] : '?';

	load_folder(image, li, bi);
	bi->trampoline_base = reserve_trampoline();
	Print(L"snpvisor: image at 0x%lx, %d file(s) loaded, RSDP at 0x%lx, AP trampoline at "
	      L"0x%lx\n",
	      bi->image_base, bi->nr_files, bi->rsdp, bi->trampoline_base);

	/* The memory map buffer is allocated before the final GetMemoryMap with
	 * room to spare, since the allocation itself changes the map. */
	uefi_call_wrapper(BS->GetMemoryMap, 5, &map_size, NULL, &map_key, &desc_size, &desc_ver);
	map_cap = map_size + 16 * desc_size + EFI_PAGE_SIZE;
	s = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages, EfiLoaderData,
			      EFI_SIZE_TO_PAGES(map_cap), &map_addr);
	if (EFI_ERROR(s)) {
		Print(L"snpvisor: cannot allocate the memory map buffer: %r\n", s);
		return s;
	}
	Print(L"snpvisor: calling ExitBootServices\n");
	for (tries = 1; tries <= EXIT_BS_TRIES; tries++) {
		map_size = map_cap;
		s = uefi_call_wrapper(BS->GetMemoryMap, 5, &map_size,
				      (EFI_MEMORY_DESCRIPTOR *)(UINTN)map_addr, &map_key,
				      &desc_size, &desc_ver);
		if (EFI_ERROR(s)) {
			Print(L"snpvisor: GetMemoryMap failed: %r\n", s);
			return s;
		}
		s = uefi_call_wrapper(BS->ExitBootServices, 2, image, map_key);
		if (!EFI_ERROR(s))
			break;
		/* EFI_INVALID_PARAMETER: the map changed, get it again. No
		 * Print() here: after a failed call only GetMemoryMap and
		 * ExitBootServices may be used (UEFI 2.9, 7.4). */
	}
	if (EFI_ERROR(s))
		return s;
	bi->exit_bs_tries = tries;
	fill_mmap(bi, (UINT8 *)(UINTN)map_addr, map_size, desc_size);
	hv_main(bi);
}
