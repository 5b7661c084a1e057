namespace CoreSleuth.Elf;

/// <summary>
/// The file is not a well-formed ELF file: a header, table or record is cut short or holds a
/// value no writer produces. Names the file offset and what was wrong there.
/// </summary>
public class CoreFormatException : Exception
{
    public CoreFormatException(long fileOffset, string problem)
        : base($"at file offset 0x{fileOffset:x}: {problem.TrimEnd('.')}.")
    {
        FileOffset = fileOffset;
        Problem = problem;
    }

    /// <summary>Offset in the file where the problem was found.</summary>
    public long FileOffset { get; }

    /// <summary>What was wrong, in one sentence.</summary>
    public string Problem { get; }
}

/// <summary>
/// A readable ELF file that CoreSleuth does not analyse (32-bit, another CPU, not a core,
/// a Linux core…). The message says what the file is and what CoreSleuth reads.
/// </summary>
public sealed class UnsupportedCoreException(string message) : Exception(message);
