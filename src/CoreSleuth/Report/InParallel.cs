namespace CoreSleuth.Report;

/// <summary>
/// Per-thread work of a report split between two processor cores: the records of ten thousand
/// threads, and their text, are independent of one another, and the order of the result is that of
/// the input. Small inputs stay on the calling thread, where a task would cost more than it saves.
/// </summary>
internal static class InParallel
{
    /// <summary>Below this many items the work is not split.</summary>
    public const int Minimum = 256;

    /// <summary>Whether <paramref name="count"/> items are split between two cores on this machine.</summary>
    public static bool Splits(int count) => count >= Minimum && Environment.ProcessorCount > 1;

    /// <summary><paramref name="build"/> of each item, in order; the second half built on another thread.</summary>
    public static TOut[] Map<TIn, TOut>(IReadOnlyList<TIn> items, Func<TIn, TOut> build)
    {
        var built = new TOut[items.Count];
        if (!Splits(items.Count))
        {
            for (int i = 0; i < built.Length; i++) built[i] = build(items[i]);
            return built;
        }
        int half = built.Length / 2;
        Halves(
            () => { for (int i = 0; i < half; i++) built[i] = build(items[i]); },
            () => { for (int i = half; i < built.Length; i++) built[i] = build(items[i]); return true; });
        return built;
    }

    /// <summary>
    /// <paramref name="part"/> of [0, <paramref name="count"/>): of the first half here and of the
    /// second on another thread, or of the whole when the work is not split; in that order.
    /// </summary>
    public static TOut[] Halves<TOut>(int count, Func<int, int, TOut> part)
    {
        if (!Splits(count)) return [part(0, count)];
        int half = count / 2;
        TOut first = default!;
        var second = Halves(() => first = part(0, half), () => part(half, count));
        return [first, second];
    }

    /// <summary>
    /// Writes <paramref name="items"/> in order with <paramref name="write"/> (told each item's
    /// index), on two threads. Into a writer that encodes into a stream (<see cref="Utf8Writer"/>:
    /// standard output, a file; or a <see cref="StreamWriter"/>), in blocks of <see cref="Block"/>
    /// items: this thread writes the even blocks, and the other meanwhile encodes the next odd block
    /// as this one encodes, into memory whose bytes are written after the block before. Into any
    /// other writer, the second half is kept as characters and copied.
    /// </summary>
    public static void Write<T>(TextWriter w, IReadOnlyList<T> items, Action<TextWriter, T, int> write)
    {
        if (!Splits(items.Count))
        {
            for (int i = 0; i < items.Count; i++) write(w, items[i], i);
            return;
        }
        switch (w)
        {
            case Utf8Writer utf8:
                WriteInBlocks(utf8, items, write, new EncodedBlocks(
                    () => new EncodedText(),
                    text => new Utf8Writer(text, 1 << 14, leaveOpen: true) { NewLine = utf8.NewLine },
                    text => { foreach (var bytes in text.Written) utf8.WriteUtf8(bytes.Span); }));
                return;
            case StreamWriter stream:
                WriteInBlocks(stream, items, write, new EncodedBlocks(
                    // A StreamWriter starts with the encoding's preamble, which belongs only at the start of the report.
                    () => new EncodedText(discardFirst: stream.Encoding.Preamble.Length),
                    text => new StreamWriter(text, stream.Encoding, 1 << 14, leaveOpen: true) { NewLine = stream.NewLine },
                    text =>
                    {
                        stream.Flush();
                        foreach (var bytes in text.Written) stream.BaseStream.Write(bytes.Span);
                    }));
                return;
        }
        int half = items.Count / 2;
        var second = Halves(
            () => { for (int i = 0; i < half; i++) write(w, items[i], i); },
            () =>
            {
                var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture) { NewLine = w.NewLine };
                for (int i = half; i < items.Count; i++) write(text, items[i], i);
                return text.GetStringBuilder();
            });
        w.Write(second);
    }

    /// <summary>
    /// Items per block of <see cref="WriteInBlocks"/>: the text of ten thousand threads is 20 MB,
    /// and half of it kept in memory until the end was that much more of the peak, all in fresh
    /// pages; two blocks in memory at a time are about a megabyte.
    /// </summary>
    private const int Block = 256;

    /// <summary>
    /// How a writer's blocks are encoded on the other thread: the memory they go into, a writer
    /// encoding as the report's writer does, and how their bytes are put after what it wrote.
    /// </summary>
    private sealed record EncodedBlocks(Func<EncodedText> NewText, Func<EncodedText, TextWriter> NewWriter, Action<EncodedText> Append);

    private static void WriteInBlocks<T>(TextWriter writer, IReadOnlyList<T> items, Action<TextWriter, T, int> write, EncodedBlocks how)
    {
        int blocks = (items.Count + Block - 1) / Block;
        // Two: the other thread encodes a block into one while this one writes the other's bytes.
        var encoded = new EncodedBlock?[2];
        void Items(TextWriter to, int block)
        {
            for (int i = block * Block, end = Math.Min(items.Count, i + Block); i < end; i++) write(to, items[i], i);
        }
        Task? other = null;
        Task Encode(int block, int slot) => Task.Run(() =>
        {
            var e = encoded[slot] ??= new EncodedBlock(how);
            Items(e.Writer, block);
            e.Writer.Flush();
        });
        try
        {
            if (blocks > 1) other = Encode(1, 0);
            for (int block = 0; block < blocks; block += 2)
            {
                Items(writer, block);
                if (other is null) break;
                other.GetAwaiter().GetResult(); // the odd block after this one, encoded; its failure is rethrown
                other = block + 3 < blocks ? Encode(block + 3, 1 - block / 2 % 2) : null;
                var done = encoded[block / 2 % 2]!;
                how.Append(done.Text);
                done.Text.Clear();
            }
        }
        finally
        {
            // Never return (or throw) while the other thread still writes into a block.
            try { other?.Wait(); }
            catch (AggregateException) { }
        }
    }

    /// <summary>A block's text encoded as the report's writer encodes it, kept in memory; reused block after block.</summary>
    private sealed class EncodedBlock(EncodedBlocks how)
    {
        public EncodedText Text { get; } = how.NewText();

        public TextWriter Writer => writer ??= how.NewWriter(Text);

        private TextWriter? writer;
    }

    /// <summary>
    /// Runs <paramref name="second"/> on another thread while <paramref name="first"/> runs on this
    /// one, and returns the second's result. The other thread is waited for either way, so that the
    /// caller never sees what it fills half done; its failure is rethrown.
    /// </summary>
    private static T Halves<T>(Action first, Func<T> second)
    {
        var other = Task.Run(second);
        try { first(); }
        finally
        {
            try { other.Wait(); }
            catch (AggregateException) { }
        }
        return other.GetAwaiter().GetResult();
    }
}
