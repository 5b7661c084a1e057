using CoreSleuth.Elf;

namespace CoreSleuth.Linux;

/// <summary>Length checks shared by the Linux note parsers; errors name the note and the file offset.</summary>
internal static class NoteBounds
{
    /// <summary>Throws unless the descriptor holds at least <paramref name="size"/> bytes.</summary>
    public static void Require(ReadOnlySpan<byte> d, int size, string note, string layout, long descriptorFileOffset)
    {
        if (d.Length < size)
            throw new CoreFormatException(descriptorFileOffset,
                $"the {note} descriptor is {d.Length} bytes, shorter than the {size} bytes of {layout}");
    }
}
