using CoreSleuth.Testing.Cores;
using CoreSleuth.Testing.Images;
using CoreSleuth.Testing.Scenarios;
using ImageAuxv = CoreSleuth.Testing.Images.AuxvEntry;

namespace CoreSleuth.Tests.Hostile;

/// <summary>
/// Turns a synthetic <see cref="ProcessImage"/> (memory, threads, libthr structures, stacks with
/// frame chains) into a <see cref="CoreSpec"/> for the core writer: one mapping per region, one
/// thread per live thread with its registers and %fs base, the executable and a FIFO among the
/// open files. The writer then decides, as the producer would, which mappings are dumped (spec §1.3).
/// </summary>
public static class ImageCores
{
    /// <param name="dumpAllMemory">Dump every region with contents, text included (as gcore does; the image
    /// builder marks text NOCOREDUMP like the kernel cores of the corpus): the analysis then reads ELF
    /// headers, dynamic sections, symbols and .eh_frame from the core itself.</param>
    public static CoreSpec ToCoreSpec(ProcessImage image, Testing.Cores.CoreProducer producer = Testing.Cores.CoreProducer.Gcore, string? fifoPath = null,
        bool dumpAllMemory = false)
    {
        var threads = image.Threads.Select(t => new Testing.Cores.ThreadSpec
        {
            Lwp = t.Lwp,
            Name = t.Name,
            Registers = Convert(t.Registers),
            FsBase = t.Registers.FsBase,
            GsBase = t.Registers.GsBase,
            Kinfo = new ThreadKinfo { WaitMessage = WaitMessage(image, t), WaitChannel = 0xfffff80012345000 },
        }).ToList();
        var mappings = image.Regions.Select(r => ScenarioCore.Mapping(r) with
        {
            // Reservations without access have no bytes: no producer dumps them.
            Dumped = r.Contents.Length == 0 ? false : dumpAllMemory ? true : null,
        }).ToList();
        var files = new List<OpenFileSpec>
        {
            new() { Type = KfType.Vnode, Fd = KfFd.Text, Path = image.ExecutablePath, VnodeType = VnodeType.VReg },
            new() { Type = KfType.Vnode, Fd = KfFd.Cwd, Path = "/var/db/mysql", VnodeType = VnodeType.VDir },
            OpenFileSpec.Vnode(3, "/var/db/mysql/ibdata1", flags: KfFlags.Read | KfFlags.Write),
        };
        if (fifoPath is not null) files.Add(OpenFileSpec.Vnode(4, fifoPath, VnodeType.VFifo));
        return new CoreSpec
        {
            Producer = producer,
            OsRelDate = image.OsRelDate,
            Process = new ProcessSpec { Pid = 4242, Command = image.Command, Arguments = image.Arguments },
            Threads = threads,
            Mappings = mappings,
            OpenFiles = files,
            Auxv = [.. image.Auxv.Select(Convert)],
            PsStrings = image.PsStringsAddress,
        };
    }

    private static string WaitMessage(ProcessImage image, ThreadImage t) =>
        t.SyscallNumber == image.Version.OpenSyscall ? "fifoor"
        : t.SyscallNumber == 454 ? "uwait"
        : t.SyscallNumber == 240 ? "nanslp"
        : t.SyscallNumber == image.Version.KeventSyscall ? "kqread"
        : "select";

    private static Testing.Cores.AuxvEntry Convert(ImageAuxv a) => new((long)a.Type, a.Value);

    private static Registers Convert(Amd64Registers r) => new()
    {
        R15 = r.R15, R14 = r.R14, R13 = r.R13, R12 = r.R12, R11 = r.R11, R10 = r.R10, R9 = r.R9, R8 = r.R8,
        Rdi = r.Rdi, Rsi = r.Rsi, Rbp = r.Rbp, Rbx = r.Rbx, Rdx = r.Rdx, Rcx = r.Rcx, Rax = r.Rax,
        Trapno = r.Trapno, Fs = r.Fs, Gs = r.Gs, Err = r.Err, Es = r.Es, Ds = r.Ds,
        Rip = r.Rip, Cs = r.Cs, Rflags = r.Rflags, Rsp = r.Rsp, Ss = r.Ss,
    };
}
