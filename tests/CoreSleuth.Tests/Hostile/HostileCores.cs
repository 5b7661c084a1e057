using System.Buffers.Binary;
using CoreSleuth.Cli;
using CoreSleuth.Testing.Cores;

namespace CoreSleuth.Tests.Hostile;

/// <summary>A core written to a temporary file, deleted with the object.</summary>
internal sealed class TempCore : IDisposable
{
    public TempCore(byte[] bytes, string name = "hostile.core")
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("coresleuth-hostile-").FullName;
        Path = System.IO.Path.Combine(Directory, name);
        File.WriteAllBytes(Path, bytes);
    }

    public string Directory { get; }
    public string Path { get; }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

internal sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

internal static class HostileCores
{
    /// <summary>Runs <c>coresleuth</c> in-process with captured output.</summary>
    public static CliRun Cli(params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        int exit = Program.Run(args, stdout, stderr);
        return new CliRun(exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Overwrites the first string field whose label starts with <paramref name="label"/> with raw bytes (NUL-terminated).</summary>
    public static void PatchString(byte[] core, string label, ReadOnlySpan<byte> raw)
    {
        var field = CoreFields.Parse(core).Strings.First(s => s.Label.StartsWith(label, StringComparison.Ordinal));
        Assert.True(raw.Length < field.Capacity, $"{raw.Length} bytes do not fit {field.Label} ({field.Capacity})");
        raw.CopyTo(core.AsSpan(field.Offset));
        core[field.Offset + raw.Length] = 0;
    }

    /// <summary>Overwrites the bytes of a C string in dumped memory at <paramref name="address"/>.</summary>
    public static void PatchMemory(byte[] core, ulong address, ReadOnlySpan<byte> raw)
    {
        var at = CoreFields.Parse(core).FileOffsetOf(address, raw.Length + 1) ?? throw new ArgumentException($"0x{address:x} is not dumped");
        raw.CopyTo(core.AsSpan(at));
        core[at + raw.Length] = 0;
    }

    public static ulong ReadU64(byte[] core, ulong address) =>
        BinaryPrimitives.ReadUInt64LittleEndian(core.AsSpan(CoreFields.Parse(core).FileOffsetOf(address, 8)!.Value));

    public static byte[] Write(CoreSpec spec) => CoreWriter.WriteToArray(spec);
}
