using System.Security.Cryptography;
using System.Text;

namespace KisFeed.Protocol;

/// <summary>
/// Decrypts encrypted real-time payloads (<c>1|TR|NNN|base64</c>): AES-256-CBC with PKCS#7 padding, key and IV being the
/// UTF-8 bytes of <c>output.key</c> (32 chars) and <c>output.iv</c> (16 chars) from that TR's subscribe reply.
/// </summary>
internal sealed class KisAes : IDisposable
{
    private readonly Aes _aes;
    private readonly byte[] _iv;
    private readonly string _keyText;
    private readonly string _ivText;

    public KisAes(string key, string iv)
    {
        _keyText = key;
        _ivText = iv;
        byte[] keyBytes = Encoding.UTF8.GetBytes(key);
        _iv = Encoding.UTF8.GetBytes(iv);
        if (keyBytes.Length != 32 || _iv.Length != 16)
        {
            throw new ArgumentException($"KIS AES key must be 32 bytes and IV 16 bytes (got {keyBytes.Length} and {_iv.Length}).");
        }

        _aes = Aes.Create();
        _aes.Key = keyBytes;
    }

    /// <summary>Decrypts a base64 payload; returns null when it is not valid base64 or does not decrypt.</summary>
    public byte[]? TryDecrypt(ReadOnlySpan<byte> base64)
    {
        byte[] cipher = new byte[base64.Length];
        if (System.Buffers.Text.Base64.DecodeFromUtf8(base64, cipher, out _, out int written) != System.Buffers.OperationStatus.Done)
        {
            return null;
        }

        try
        {
            return _aes.DecryptCbc(cipher.AsSpan(0, written), _iv, PaddingMode.PKCS7);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>True when this decryptor was made from the same key and iv.</summary>
    public bool Matches(string key, string iv) => key == _keyText && iv == _ivText;

    public void Dispose() => _aes.Dispose();
}
