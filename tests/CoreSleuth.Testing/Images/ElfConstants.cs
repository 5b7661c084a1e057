namespace CoreSleuth.Testing.Images;

/// <summary>ELF numbers used by the image builder (gABI, x86-64 psABI, GNU and FreeBSD extensions).</summary>
internal static class ElfConstants
{
    public const byte ElfClass64 = 2, ElfData2Lsb = 1, EvCurrent = 1, OsAbiFreeBsd = 9;
    public const ushort EtExec = 2, EtDyn = 3, EmX86_64 = 62;

    public const uint PtLoad = 1, PtDynamic = 2, PtInterp = 3, PtNote = 4, PtPhdr = 6;
    public const uint PtGnuEhFrame = 0x6474e550, PtGnuStack = 0x6474e551;
    public const uint PfX = 1, PfW = 2, PfR = 4;

    public const uint ShtProgbits = 1, ShtStrtab = 3, ShtRela = 4, ShtHash = 5, ShtDynamic = 6, ShtNote = 7, ShtNobits = 8;
    public const uint ShtDynsym = 11, ShtGnuHash = 0x6ffffff6, ShtGnuVerdef = 0x6ffffffd, ShtGnuVersym = 0x6fffffff;
    public const uint ShtX86_64Unwind = 0x70000001;
    public const ulong ShfWrite = 1, ShfAlloc = 2, ShfExecInstr = 4, ShfInfoLink = 0x40;

    public const long DtNull = 0, DtNeeded = 1, DtPltRelSz = 2, DtPltGot = 3, DtHash = 4, DtStrTab = 5, DtSymTab = 6;
    public const long DtStrSz = 10, DtSymEnt = 11, DtSoName = 14, DtPltRel = 20, DtDebug = 21, DtJmpRel = 23, DtRela = 7;
    public const long DtGnuHash = 0x6ffffef5, DtVerSym = 0x6ffffff0, DtVerDef = 0x6ffffffc, DtVerDefNum = 0x6ffffffd;

    public const byte SttObject = 1, SttFunc = 2, StbGlobal = 1, StbWeak = 2;
    public const uint RX86_64JumpSlot = 7;

    public const ushort VerFlgBase = 1, VerNdxGlobal = 1;

    /// <summary>FreeBSD note types in "FreeBSD" notes of executables/libraries (sys/sys/elf_common.h).</summary>
    public const uint NtFreeBsdAbiTag = 1, NtFreeBsdNoInitTag = 2;

    /// <summary>DW_EH_PE_* pointer encodings used in .eh_frame/.eh_frame_hdr (LSB extension).</summary>
    public const byte DwEhPePcrelSdata4 = 0x1b, DwEhPeUdata4 = 0x03, DwEhPeDatarelSdata4 = 0x3b;

    /// <summary>MAXPAGESIZE of GNU ld on amd64: the data segment sits 2 MiB above the text segment,
    /// which is what the FreeBSD 10–12 mappings in the corpus show (e.g. libc text at 0x801156000,
    /// a 0x200000-byte hole, data at 0x8014e8000).</summary>
    public const ulong MaxPageSize = 0x200000;

    public const ulong PageSize = 0x1000;
}
