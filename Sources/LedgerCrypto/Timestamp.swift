import COpenSSL
import Foundation

/// What a verified RFC 3161 time-stamp token says.
public struct TimestampInfo: Sendable, Equatable {
    /// The TSA's genTime, ISO 8601 in UTC (`2026-11-29T12:57:30Z`, fractions kept when the TSA gives them).
    public let genTime: String
    /// The genTime as seconds since the epoch.
    public let genTimeSeconds: Int64
    /// The TSA policy OID.
    public let policy: String
    /// The token's serial number, hex.
    public let serial: String
    /// The TSA's name when the token carries one (RFC 2253 for a directory name).
    public let tsaName: String?
}

/// RFC 3161 time stamps through OpenSSL's TS API: requests for a SHA-256 digest, and checking responses.
public enum RFC3161 {
    /// A DER TimeStampReq (version 1) for a SHA-256 digest, with a random 64-bit nonce and certReq set.
    public static func request(sha256 digest: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard digest.count == 32 else { throw .invalidEncoding("a SHA-256 digest is 32 bytes") }
        guard let request = TS_REQ_new(), let imprint = TS_MSG_IMPRINT_new(), let algorithm = X509_ALGOR_new(),
            let random = BN_new()
        else { throw .openSSL("out of memory building a time-stamp request") }
        defer {
            TS_REQ_free(request)
            TS_MSG_IMPRINT_free(imprint)
            X509_ALGOR_free(algorithm)
            BN_free(random)
        }
        // The same encoding as `openssl ts -query`: sha256 with NULL parameters; every setter copies.
        X509_ALGOR_set0(algorithm, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, nil)
        var digestBytes = digest
        guard TS_MSG_IMPRINT_set_algo(imprint, algorithm) == 1,
            TS_MSG_IMPRINT_set_msg(imprint, &digestBytes, Int32(digest.count)) == 1,
            TS_REQ_set_version(request, 1) == 1, TS_REQ_set_msg_imprint(request, imprint) == 1,
            BN_rand(random, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1,
            let nonce = BN_to_ASN1_INTEGER(random, nil)
        else { throw .openSSL("cannot build a time-stamp request: \(OpenSSLInfo.lastError())") }
        defer { ASN1_INTEGER_free(nonce) }
        guard TS_REQ_set_nonce(request, nonce) == 1, TS_REQ_set_cert_req(request, 1) == 1 else {
            throw .openSSL("cannot build a time-stamp request: \(OpenSSLInfo.lastError())")
        }
        var der: UnsafeMutablePointer<UInt8>?
        let length = i2d_TS_REQ(request, &der)
        guard length > 0, let der else { throw .openSSL("cannot encode the time-stamp request") }
        defer { CRYPTO_free(der, #fileID, #line) }
        return Array(UnsafeBufferPointer(start: der, count: Int(length)))
    }

    /// Checks a DER TimeStampResp: granted, signed by a TSA certificate that chains to `caFile` (checked at the
    /// token's genTime, so it stays checkable after the TSA certificate expires), for exactly this SHA-256 digest.
    ///
    /// - Parameter untrusted: PEM files with the TSA certificate, needed when the token does not carry it.
    public static func verify(response: [UInt8], sha256 digest: [UInt8], caFile: String, untrusted: [String] = [])
        throws(CryptoError) -> TimestampInfo
    {
        guard digest.count == 32 else { throw .invalidEncoding("a SHA-256 digest is 32 bytes") }
        var parsed: OpaquePointer?
        response.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            parsed = d2i_TS_RESP(nil, &cursor, buffer.count)
        }
        guard let resp = parsed else {
            throw .invalidEncoding("not a DER RFC 3161 TimeStampResp: \(OpenSSLInfo.lastError())")
        }
        defer { TS_RESP_free(resp) }
        guard let tst = TS_RESP_get_tst_info(resp), let time = TS_TST_INFO_get_time(tst) else {
            throw .openSSL("the response carries no time-stamp token (rejected by the TSA?)")
        }
        // The imprint's algorithm must be SHA-256: checking from a digest alone compares only the bytes.
        guard let imprint = TS_TST_INFO_get_msg_imprint(tst), let algorithm = TS_MSG_IMPRINT_get_algo(imprint),
            OBJ_obj2nid(algorithm.pointee.algorithm) == NID_sha256
        else { throw .openSSL("the time-stamp token is not over a SHA-256 digest") }
        var moment = tm()
        guard ASN1_TIME_to_tm(time, &moment) == 1 else { throw .openSSL("the token's genTime is unreadable") }
        let seconds = Int64(timegm(&moment))

        guard let context = TS_VERIFY_CTX_new(), let store = X509_STORE_new() else {
            throw .openSSL("out of memory checking a time stamp")
        }
        defer { TS_VERIFY_CTX_free(context) }  // frees the store, the certificates and the imprint it was given
        guard X509_STORE_load_file(store, caFile) == 1 else {
            X509_STORE_free(store)
            throw .io("cannot read the CA certificates in \(caFile): \(OpenSSLInfo.lastError())")
        }
        // Check the chain as it stood when the token was made, not today.
        X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), time_t(seconds))
        TS_VERIFY_CTX_set_store(context, store)
        if !untrusted.isEmpty {
            guard let stack = OPENSSL_sk_new_null() else { throw .openSSL("out of memory") }
            for path in untrusted {
                guard let bio = BIO_new_file(path, "r") else { throw .io("cannot read \(path)") }
                defer { BIO_free(bio) }
                while let certificate = PEM_read_bio_X509(bio, nil, nil, nil) {
                    OPENSSL_sk_push(stack, UnsafeRawPointer(certificate))
                }
                _ = OpenSSLInfo.lastError()  // the end of the file leaves an error in the queue
            }
            TS_VERIFY_CTX_set_certs(context, stack)
        }
        guard let imprintCopy = CRYPTO_memdup(digest, 32, #fileID, #line) else { throw .openSSL("out of memory") }
        TS_VERIFY_CTX_set_imprint(context, imprintCopy.assumingMemoryBound(to: UInt8.self), 32)
        // Never TS_VFY_ALL_IMPRINT on a hand-built context: its nonce, policy and name checks need values
        // OpenSSL 3.0 cannot set here.
        TS_VERIFY_CTX_set_flags(
            context, Int32(bitPattern: TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_SIGNER | TS_VFY_IMPRINT))
        guard TS_RESP_verify_response(context, resp) == 1 else {
            throw .openSSL("the time stamp does not verify: \(OpenSSLInfo.lastError())")
        }

        var raw = String(
            decoding: UnsafeBufferPointer(start: ASN1_STRING_get0_data(time), count: Int(ASN1_STRING_length(time))),
            as: UTF8.self)
        // GeneralizedTime YYYYMMDDHHMMSS[.fff]Z → ISO 8601.
        if raw.utf8.count >= 15 {
            let digits = Array(raw)
            raw =
                String(digits[0..<4]) + "-" + String(digits[4..<6]) + "-" + String(digits[6..<8]) + "T"
                + String(digits[8..<10]) + ":" + String(digits[10..<12]) + ":" + String(digits[12...])
        }
        var policy = [CChar](repeating: 0, count: 128)
        OBJ_obj2txt(&policy, Int32(policy.count), TS_TST_INFO_get_policy_id(tst), 1)
        var serial = ""
        if let number = ASN1_INTEGER_to_BN(TS_TST_INFO_get_serial(tst), nil) {
            if let hex = BN_bn2hex(number) {
                serial = String(cString: hex)
                CRYPTO_free(hex, #fileID, #line)
            }
            BN_free(number)
        }
        var tsaName: String?
        if let name = TS_TST_INFO_get_tsa(tst), name.pointee.type == GEN_DIRNAME {
            var buffer = [CChar](repeating: 0, count: 512)
            if X509_NAME_oneline(name.pointee.d.directoryName, &buffer, Int32(buffer.count)) != nil {
                tsaName = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
        return TimestampInfo(
            genTime: raw, genTimeSeconds: seconds,
            policy: String(decoding: policy.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
            serial: serial, tsaName: tsaName)
    }
}
