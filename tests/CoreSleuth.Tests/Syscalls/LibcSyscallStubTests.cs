using System.Buffers.Binary;
using System.Text;
using CoreSleuth.FreeBsd.Syscalls;

namespace CoreSleuth.Tests.Syscalls;

/// <summary>
/// Cross-checks the table against real FreeBSD libc builds: every <c>__sys_NAME</c> stub
/// is <c>mov $N,%eax; mov %rcx,%r10; syscall</c> (bytes B8 imm32 49 89 CA 0F 05), so the
/// binary itself says which number each name has.
/// </summary>
public class LibcSyscallStubTests
{
    [SharedFileFact("corpus/binaries/freebsd13.5/libc.so.7")]
    public void FreeBsd135LibcStubsMatchTheTable()
    {
        var stubs = ReadStubs(SharedFiles.Shared("corpus/binaries/freebsd13.5/libc.so.7"));
        Assert.True(stubs.Count > 250, $"only {stubs.Count} syscall stubs found");
        foreach (var (name, number) in stubs)
        {
            var entry = SyscallTable.Lookup(number);
            Assert.True(entry is not null, $"__sys_{name} uses {number}, outside the table");
            Assert.True(entry.Name == name, $"__sys_{name} uses {number}, which the table calls {entry.Name}");
            Assert.True(entry.Status.IsLive || entry.Status.Kind == SyscallStatusKind.SysMux,
                $"__sys_{name} ({number}) is called by a 13.5 libc but the table says {entry.Status}");
        }
        Assert.Equal(499u, stubs["openat"]);
        Assert.Equal(454u, stubs["_umtx_op"]);
        Assert.Equal(560u, stubs["kevent"]);
        Assert.Equal(551u, stubs["fstat"]);
        Assert.Equal(554u, stubs["getdirentries"]);
    }

    [SharedFileFact("corpus/binaries/freebsd12.0/libc.so.7")]
    public void FreeBsd120LibcStubsMatchTheTable()
    {
        var stubs = ReadStubs(SharedFiles.Shared("corpus/binaries/freebsd12.0/libc.so.7"));
        Assert.True(stubs.Count > 250, $"only {stubs.Count} syscall stubs found");
        foreach (var (name, number) in stubs)
        {
            var entry = SyscallTable.Lookup(number);
            Assert.True(entry is not null, $"__sys_{name} uses {number}, outside the table");
            Assert.True(entry.Name == name, $"__sys_{name} uses {number}, which the table calls {entry.Name}");
            // 12.0 still calls entries that later became COMPAT12/COMPAT13 (shm_open, closefrom, swapoff).
            Assert.True(entry.Status.IsLive || entry.Status.Kind == SyscallStatusKind.SysMux
                        || entry.Status is { Kind: SyscallStatusKind.Compat, CompatVersion: >= 12 },
                $"__sys_{name} ({number}) is called by a 12.0 libc but the table says {entry.Status}");
        }
    }

    /// <summary>Name (without "__sys_") → syscall number, for every stub of the expected shape.</summary>
    private static Dictionary<string, uint> ReadStubs(string path)
    {
        var elf = File.ReadAllBytes(path);
        var d = elf.AsSpan();
        Assert.True(d.Length > 64 && d[0] == 0x7F && d[1] == (byte)'E' && d[4] == 2 && d[5] == 1, "not an ELF64 LE file");
        var phoff = (int)BinaryPrimitives.ReadUInt64LittleEndian(d[0x20..]);
        var shoff = (int)BinaryPrimitives.ReadUInt64LittleEndian(d[0x28..]);
        var phnum = BinaryPrimitives.ReadUInt16LittleEndian(d[0x38..]);
        var shentsize = BinaryPrimitives.ReadUInt16LittleEndian(d[0x3A..]);
        var shnum = BinaryPrimitives.ReadUInt16LittleEndian(d[0x3C..]);

        var loads = new List<(ulong Vaddr, ulong Offset, ulong FileSize)>();
        for (var i = 0; i < phnum; i++)
        {
            var ph = d.Slice(phoff + i * 56, 56);
            if (BinaryPrimitives.ReadUInt32LittleEndian(ph) == 1)
                loads.Add((BinaryPrimitives.ReadUInt64LittleEndian(ph[16..]), BinaryPrimitives.ReadUInt64LittleEndian(ph[8..]),
                    BinaryPrimitives.ReadUInt64LittleEndian(ph[32..])));
        }

        int dynsymOff = -1, dynsymSize = 0, strOff = -1;
        for (var i = 0; i < shnum; i++)
        {
            var sh = d.Slice(shoff + i * shentsize, 64);
            if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != 11) continue; // SHT_DYNSYM
            dynsymOff = (int)BinaryPrimitives.ReadUInt64LittleEndian(sh[24..]);
            dynsymSize = (int)BinaryPrimitives.ReadUInt64LittleEndian(sh[32..]);
            var link = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[40..]);
            strOff = (int)BinaryPrimitives.ReadUInt64LittleEndian(d.Slice(shoff + link * shentsize, 64)[24..]);
        }
        Assert.True(dynsymOff > 0 && strOff > 0, ".dynsym not found");

        ReadOnlySpan<byte> tail = [0x49, 0x89, 0xCA, 0x0F, 0x05];
        var result = new Dictionary<string, uint>(StringComparer.Ordinal);
        for (var off = dynsymOff; off + 24 <= dynsymOff + dynsymSize; off += 24)
        {
            var sym = d.Slice(off, 24);
            var nameStart = strOff + (int)BinaryPrimitives.ReadUInt32LittleEndian(sym);
            var nameLen = d[nameStart..].IndexOf((byte)0);
            var name = Encoding.ASCII.GetString(d.Slice(nameStart, nameLen));
            if (!name.StartsWith("__sys_", StringComparison.Ordinal)) continue;
            var value = BinaryPrimitives.ReadUInt64LittleEndian(sym[8..]);
            foreach (var (vaddr, fileOff, fileSize) in loads)
            {
                if (value < vaddr || value + 10 > vaddr + fileSize) continue;
                var code = d.Slice((int)(fileOff + (value - vaddr)), 10);
                if (code[0] == 0xB8 && code[5..].SequenceEqual(tail))
                    result[name["__sys_".Length..]] = BinaryPrimitives.ReadUInt32LittleEndian(code[1..]);
            }
        }
        return result;
    }
}
