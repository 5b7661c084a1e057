using CoreSleuth.Elf;
using static CoreSleuth.Elf.ElfConstants;

namespace CoreSleuth.Model;

/// <summary>The operating system whose process a core holds: it decides how notes, system calls and threads are read.</summary>
public enum CoreOs
{
    FreeBsd,
    Linux,
}

/// <summary>
/// Tells a FreeBSD core from a Linux one by its notes and EI_OSABI. FreeBSD: EI_OSABI
/// ELFOSABI_FREEBSD or a note owned by "FreeBSD" (gdb names its register notes "CORE" on
/// FreeBSD too, but keeps EI_OSABI FreeBSD). Linux: EI_OSABI 0 or 3, no "FreeBSD" note, and a
/// note only Linux writes: one owned by "LINUX" (NT_X86_XSTATE…), a "CORE" NT_FILE or
/// NT_SIGINFO (fs/binfmt_elf.c, gdb/linux-tdep.c), or a "CORE" NT_PRSTATUS of the 336 bytes of
/// the x86-64 <c>struct elf_prstatus</c> (FreeBSD's prstatus_t has 224).
/// </summary>
public static class CoreOsDetection
{
    private const uint NtPrStatus = 1, NtFile = 0x46494c45, NtSigInfo = 0x53494749;
    private const byte ElfOsAbiLinux = 3;
    private const int LinuxPrStatusSize = 336;

    /// <summary>The system, or null when the notes name neither; <paramref name="evidence"/> says what told it.</summary>
    public static CoreOs? Detect(ElfFile elf, out string evidence)
    {
        var h = elf.Header;
        if (elf.Notes.Any(n => n.Name == "FreeBSD"))
        {
            evidence = "notes owned by \"FreeBSD\"";
            return CoreOs.FreeBsd;
        }
        if (h.OsAbi == ELFOSABI_FREEBSD)
        {
            evidence = "EI_OSABI 9 (ELFOSABI_FREEBSD)";
            return CoreOs.FreeBsd;
        }
        if (h.OsAbi is ELFOSABI_NONE or ElfOsAbiLinux)
        {
            if (elf.Notes.Find(n => n.Name == "LINUX") is { } linux)
            {
                evidence = $"a note owned by \"LINUX\" (type 0x{linux.Type:x})";
                return CoreOs.Linux;
            }
            if (elf.Notes.Find(n => n.Name == "CORE" && n.Type is NtFile or NtSigInfo) is { } only)
            {
                evidence = $"a \"CORE\" {(only.Type == NtFile ? "NT_FILE" : "NT_SIGINFO")} note, which only Linux writes";
                return CoreOs.Linux;
            }
            if (elf.Notes.Any(n => n.Name == "CORE" && n.Type == NtPrStatus && n.Descriptor.Length == LinuxPrStatusSize))
            {
                evidence = $"\"CORE\" NT_PRSTATUS notes of {LinuxPrStatusSize} bytes, the x86-64 Linux struct elf_prstatus";
                return CoreOs.Linux;
            }
        }
        evidence = "";
        return null;
    }

    /// <summary>The name JSON reports give the system.</summary>
    public static string JsonName(CoreOs os) => os == CoreOs.Linux ? "linux" : "freebsd";
}
