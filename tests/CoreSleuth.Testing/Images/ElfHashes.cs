using System.Text;

namespace CoreSleuth.Testing.Images;

/// <summary>The two symbol-hash functions of ELF dynamic linking.</summary>
internal static class ElfHashes
{
    /// <summary>The System V ABI hash (DT_HASH, and vd_hash of version definitions).</summary>
    public static uint SysV(string name)
    {
        uint h = 0;
        foreach (var c in Encoding.UTF8.GetBytes(name))
        {
            h = (h << 4) + c;
            var g = h & 0xf0000000;
            if (g != 0)
            {
                h ^= g >> 24;
            }

            h &= ~g;
        }

        return h;
    }

    /// <summary>The GNU hash (DT_GNU_HASH): h = h*33 + c, seeded with 5381.</summary>
    public static uint Gnu(string name)
    {
        uint h = 5381;
        foreach (var c in Encoding.UTF8.GetBytes(name))
        {
            h = (h * 33) + c;
        }

        return h;
    }
}
