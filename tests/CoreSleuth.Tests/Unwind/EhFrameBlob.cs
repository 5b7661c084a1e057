using System.Buffers.Binary;
using System.Text;

namespace CoreSleuth.Tests.Unwind;

/// <summary>
/// Writes .eh_frame records by hand, following the LSB layout (length, CIE id / CIE pointer,
/// …), for cases no toolchain emits: hostile lengths, cyclic CIE pointers, 64-bit records.
/// </summary>
internal sealed class EhFrameBlob
{
    public const ulong Address = 0x10000;
    private readonly List<byte> bytes = [];

    public int Length => bytes.Count;

    /// <summary>A CIE: version 1, "zR" with FDE pointers as pcrel|sdata4 by default, code align 1, data align -8, ra 16.</summary>
    public int Cie(byte[] instructions, string augmentation = "zR", byte[]? augmentationData = null, bool dwarf64 = false)
    {
        var body = new List<byte>();
        body.AddRange(dwarf64 ? new byte[8] : new byte[4]); // CIE id 0
        body.Add(1);
        body.AddRange(Encoding.ASCII.GetBytes(augmentation));
        body.Add(0);
        body.Add(1);     // code alignment 1
        body.Add(0x78);  // data alignment -8 (SLEB128)
        body.Add(16);    // return address column
        if (augmentation.StartsWith('z'))
        {
            var data = augmentationData ?? [0x1b];
            body.Add((byte)data.Length);
            body.AddRange(data);
        }
        body.AddRange(instructions);
        return Record(body, dwarf64);
    }

    /// <summary>An FDE pointing to the CIE at <paramref name="cieOffset"/>, pc begin as pcrel sdata4, range as udata4.</summary>
    public int Fde(int cieOffset, ulong pcBegin, uint range, byte[] instructions, bool augmentationData = true, bool dwarf64 = false, long? ciePointer = null, bool pad = true)
    {
        int start = bytes.Count;
        int header = dwarf64 ? 12 : 4;
        ulong idField = Address + (ulong)(start + header);
        ulong pointer = ciePointer is { } p ? (ulong)p : (ulong)(start + header - cieOffset);
        var body = new List<byte>();
        body.AddRange(dwarf64 ? BitConverter.GetBytes(pointer) : BitConverter.GetBytes((uint)pointer));
        ulong pcField = idField + (dwarf64 ? 8UL : 4UL);
        body.AddRange(BitConverter.GetBytes((int)((long)pcBegin - (long)pcField)));
        body.AddRange(BitConverter.GetBytes(range));
        if (augmentationData) body.Add(0);
        body.AddRange(instructions);
        return Record(body, dwarf64, pad);
    }

    private int Record(List<byte> body, bool dwarf64, bool pad = true)
    {
        int start = bytes.Count;
        while (pad && (body.Count + (dwarf64 ? 12 : 4)) % 8 != 0) body.Add(0); // DW_CFA_nop padding
        if (dwarf64)
        {
            bytes.AddRange(BitConverter.GetBytes(0xffffffffu));
            bytes.AddRange(BitConverter.GetBytes((ulong)body.Count));
        }
        else bytes.AddRange(BitConverter.GetBytes((uint)body.Count));
        bytes.AddRange(body);
        return start;
    }

    public void Raw(params byte[] raw) => bytes.AddRange(raw);

    public byte[] ToArray(bool terminator = true)
    {
        var result = new List<byte>(bytes);
        if (terminator) result.AddRange(new byte[4]);
        return result.ToArray();
    }

    public void Patch32(int offset, uint value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        for (int i = 0; i < 4; i++) bytes[offset + i] = b[i];
    }

    /// <summary>CIE initial instructions of every amd64 compiler: DW_CFA_def_cfa rsp+8; DW_CFA_offset rip, 1 (CFA-8).</summary>
    public static readonly byte[] StandardCie = [0x0c, 0x07, 0x08, 0x90, 0x01];
}
