using System.Buffers.Binary;
using CoreSleuth.Elf;
using CoreSleuth.FreeBsd;
using CoreSleuth.Model;
using CoreSleuth.Tests.Support;
using CsCheck;

namespace CoreSleuth.Tests.Reader;

/// <summary>
/// Random damage to valid cores: whatever the bytes, <see cref="CoreFile.Load"/> either
/// decodes something or refuses with <see cref="CoreFormatException"/> /
/// <see cref="UnsupportedCoreException"/>, and nothing it returns throws when used.
/// </summary>
public sealed class MutationPropertyTests
{
    /// <summary>One overwrite: a 1-, 2-, 4- or 8-byte little-endian value at a position.</summary>
    private readonly record struct Mutation(int Position, ulong Value, int Width);

    private static Gen<(Mutation[] Mutations, int Length)> Damage(int size) =>
        Gen.Select(
            Gen.Select(
                Gen.Int[0, size - 1],
                // Sizes and counts are where readers break: favour extremes and structure sizes.
                Gen.Frequency(
                    (3, (IGen<ulong>)Gen.ULong),
                    (1, Gen.OneOf(0UL, 1UL, 3UL, 4UL, 12UL, 56UL, 64UL, 0xFFFFUL, 0xFFFF_FFFFUL, 0x7FFF_FFFFUL, 0x8000_0000UL, ulong.MaxValue, 224UL, 1088UL, 1392UL, 1160UL)),
                    (2, Gen.Byte.Select(b => (ulong)b))),
                Gen.OneOf(1, 2, 4, 8),
                (p, v, w) => new Mutation(p, v, w)).Array[1, 12],
            Gen.Frequency((4, (IGen<int>)Gen.Const(size)), (1, Gen.Int[0, size])));

    private static byte[] Apply(byte[] original, Mutation[] mutations, int length)
    {
        var bytes = original[..length];
        Span<byte> value = stackalloc byte[8];
        foreach (var m in mutations)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(value, m.Value);
            for (int i = 0; i < m.Width && m.Position + i < bytes.Length; i++) bytes[m.Position + i] = value[i];
        }
        return bytes;
    }

    private static void LoadAndUse(byte[] bytes)
    {
        CoreFile core;
        try
        {
            core = CoreFile.Load(ByteSource.FromBytes(bytes, "mutated.core"));
        }
        catch (CoreFormatException e)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
            return;
        }
        catch (UnsupportedCoreException e)
        {
            Assert.Contains("CoreSleuth reads", e.Message);
            return;
        }
        using (core)
        {
            // Touch everything a report would: none of it may throw.
            _ = (core.Producer, core.ProducerEvidence.Count, core.Warnings.Count);
            foreach (var t in core.Threads)
                _ = (t.Name, t.WaitMessage, t.Registers.General.Count, t.FpState?.YmmHigh?.Count, t.FreeBsd?.LwpInfo?.HasSigInfo, t.FreeBsd?.Kinfo?.FullThreadName, t.SegmentBases?.FsBase);
            var p = core.Process;
            _ = (p.Pid, p.Command, p.Arguments, p.FreeBsd?.OsRelDate, p.StartTime, p.WorkingDirectory, p.Executable);
            foreach (var f in p.OpenFiles) _ = (f.Kind, f.DescriptorName, f.Position);
            foreach (var k in p.OpenFiles.Select(f => f.FreeBsd).OfType<KinfoFile>()) _ = (KinfoFile.FlagNames(k.Flags), k.FileSize, k.SocketPeer.Length);
            foreach (var m in p.Mappings) _ = (m.ProtectionText, m.FreeBsd?.FlagText, m.Size);
            foreach (var a in p.Auxv) _ = (Analysis.SystemConventions.Of(core).Auxv.Describe(a.Type), core.Memory.ReadCString(a.Value, 64).Status);
            foreach (var s in core.Memory.Segments)
            {
                var buffer = new byte[32];
                _ = core.Memory.Read(s.Start, buffer) + core.Memory.Read(s.End - 1, buffer);
                _ = core.Memory.Explain(s.End - 1);
            }
        }
    }

    [Fact]
    public void MutatedSampleCoresNeverThrowAnythingElse()
    {
        var original = CoreImage.Sample().Build();
        Damage(original.Length).Sample(d => LoadAndUse(Apply(original, d.Mutations, d.Length)), iter: 3000);
    }

    [Fact]
    public void MutatedExtendedNumberingCoresNeverThrowAnythingElse()
    {
        var image = CoreImage.Sample();
        image.ExtendedNumbering = true;
        var original = image.Build();
        // Damage concentrated in the headers, section header 0 and the first notes.
        Damage(Math.Min(original.Length, 600)).Sample(d => LoadAndUse(Apply(original, d.Mutations, d.Length == 600 ? original.Length : d.Length)), iter: 2000);
    }

    [CorpusFact]
    public void MutatedRealCoresNeverThrowAnythingElse()
    {
        foreach (var name in (string[])["lldb-x86-64-freebsd14-multithread.core", "bsi-08c8232b.core"])
        {
            var whole = File.ReadAllBytes(Corpus.Core(name));
            // The header tables and notes; the bsi core's memory is kept whole behind them.
            int span = (int)Math.Min(whole.Length, 0x3000);
            Damage(span).Sample(d => LoadAndUse(Apply(whole, d.Mutations, d.Length == span ? whole.Length : d.Length)), iter: 600);
        }
    }
}
