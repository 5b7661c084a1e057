using System.Globalization;
using System.Runtime.InteropServices;
using CoreSleuth.Cli;

namespace CoreSleuth.Tests.Cli;

/// <summary>The collector's heap is found in /proc/self/maps and advised to use huge pages.</summary>
public sealed class CollectorMemoryTests
{
    // As proc(5) prints them: a file mapping, the heap, a run of three adjacent anonymous mappings
    // (committed, reserved, committed), a gap, then a lone anonymous mapping and the stack.
    private static readonly string[] Maps =
    [
        "55d831c00000-55d831d00000 r-xp 00000000 fd:01 1234567                    /usr/bin/coresleuth",
        "55d832000000-55d832021000 rw-p 00000000 00:00 0                          [heap]",
        "7f2b6b000000-7f2b6ef3b000 rw-p 00000000 00:00 0 ",
        "7f2b6ef3b000-7f2b6f000000 ---p 00000000 00:00 0",
        "7f2b6f000000-7f2b6f400000 rw-p 00000000 00:00 0",
        "7f2b70000000-7f2b70001000 rw-p 00000000 00:00 0",
        "7f2b70001000-7f2b70002000 r--p 00001000 fd:01 7654321                    /usr/lib/libc.so.6",
        "7ffe5edb0000-7ffe5edd1000 rw-p 00000000 00:00 0                          [stack]",
    ];

    [Theory]
    [InlineData(0x7f2b6b000000UL)]
    [InlineData(0x7f2b6ef3b123UL)]
    [InlineData(0x7f2b6f3fffffUL)]
    public void The_run_of_adjacent_anonymous_mappings_holding_the_address_is_found(ulong address) =>
        Assert.Equal((0x7f2b6b000000UL, 0x7f2b6f400000UL), CollectorMemory.AnonymousRunAround(Maps, address));

    [Fact]
    public void A_gap_ends_a_run() =>
        Assert.Equal((0x7f2b70000000UL, 0x7f2b70001000UL), CollectorMemory.AnonymousRunAround(Maps, 0x7f2b70000800));

    [Theory]
    [InlineData(0x55d831c00100UL)] // the executable
    [InlineData(0x55d832000100UL)] // [heap]: named, so not the collector's
    [InlineData(0x7f2b70001800UL)] // a library
    [InlineData(0x7f2b6f500000UL)] // in no mapping
    public void An_address_outside_anonymous_mappings_has_no_run(ulong address) =>
        Assert.Null(CollectorMemory.AnonymousRunAround(Maps, address));

    [Theory]
    [InlineData("7f2b6b000000 rw-p 00000000 00:00 0")]
    [InlineData("7f2b6b000000-zz rw-p 00000000 00:00 0")]
    [InlineData("7f2b6f000000-7f2b6b000000 rw-p 00000000 00:00 0")]
    [InlineData("7f2b6b000000-7f2b6f400000 rw-p")]
    public void An_unreadable_line_gives_no_run(string bad) =>
        Assert.Null(CollectorMemory.AnonymousRunAround([.. Maps, bad], 0x7f2b6b000000));

    [TransparentHugePagesFact]
    public void On_linux_the_mapping_of_new_objects_is_advised_to_use_huge_pages()
    {
        ulong? block = CollectorMemory.AdviseHugePages();
        Assert.NotNull(block);
        Assert.Equal(0UL, block % (2UL << 20));

        var handle = GCHandle.Alloc(new byte[64], GCHandleType.Pinned);
        ulong address = (ulong)handle.AddrOfPinnedObject();
        handle.Free();
        // smaps(5): VmFlags "hg" is MADV_HUGEPAGE on the mapping.
        Assert.Contains("hg", FlagsOfMappingHolding(address));
    }

    private static string[] FlagsOfMappingHolding(ulong address)
    {
        bool inside = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            int dash = line.IndexOf('-'), space = line.IndexOf(' ');
            if (dash > 0 && space > dash
                && ulong.TryParse(line.AsSpan(0, dash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong start)
                && ulong.TryParse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong end))
                inside = start <= address && address < end;
            else if (inside && line.StartsWith("VmFlags:", StringComparison.Ordinal))
                return line["VmFlags:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        }
        throw new InvalidOperationException($"no mapping holds 0x{address:x}");
    }
}

/// <summary>A fact about Linux's transparent huge pages; skipped with a reason elsewhere.</summary>
public sealed class TransparentHugePagesFactAttribute : FactAttribute
{
    public TransparentHugePagesFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists("/sys/kernel/mm/transparent_hugepage"))
            Skip = "needs Linux with transparent huge pages (/sys/kernel/mm/transparent_hugepage)";
    }
}
