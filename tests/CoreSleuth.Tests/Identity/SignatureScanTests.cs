using CoreSleuth.Analysis.Libthr;
using CsCheck;

namespace CoreSleuth.Tests.Identity;

public class SignatureScanTests
{
    private static List<ulong> Naive(byte[] bytes, ulong address)
    {
        var hits = new List<ulong>();
        for (int i = 0; i + 8 <= bytes.Length; i++)
        {
            ulong at = address + (ulong)i;
            if (at % 8 == 0 && BitConverter.ToUInt64(bytes, i) == at) hits.Add(at);
        }
        return hits;
    }

    [Fact]
    public void Vectorised_self_pointer_search_equals_the_naive_one()
    {
        // Random buffers with self-pointers planted at random aligned places, at random base addresses.
        Gen.Select(Gen.Int[0, 600], Gen.ULong[0, ulong.MaxValue / 2], Gen.Int[0, 20], Gen.UInt)
            .Sample((length, baseAddress, plants, seed) =>
            {
                var random = new Random((int)seed);
                var bytes = new byte[length];
                random.NextBytes(bytes);
                ulong address = (baseAddress & ~7UL) + (ulong)random.Next(0, 8);
                for (int p = 0; p < plants && length >= 16; p++)
                {
                    int offset = random.Next(0, length - 8);
                    ulong at = address + (ulong)offset;
                    int aligned = offset + (int)((8 - (at & 7)) & 7);
                    if (aligned + 8 <= length) BitConverter.TryWriteBytes(bytes.AsSpan(aligned), address + (ulong)aligned);
                }
                var hits = new List<ulong>();
                SignatureScan.FindSelfPointers(bytes, address, hits);
                Assert.Equal(Naive(bytes, address), hits);
            }, iter: 2000);
    }
}
