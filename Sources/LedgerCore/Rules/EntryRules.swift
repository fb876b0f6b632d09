import LedgerCrypto

/// What an accepted entry changes in the ledger's key state.
public enum RuleEffect: Sendable {
    /// The entry changes no key: every type but the three below.
    case none
    /// Seq 1 names the log key, whose name is the origin.
    case ledgerCreated(logKey: NoteVerifierKey)
    /// A key registered, as it stands from this entry on.
    case keyRegistered(KeyState)
    /// `keyID` revoked at `seq` (this entry's), reported compromised since `compromisedSinceSeq` when given.
    case keyRevoked(keyID: String, seq: Int64, compromisedSinceSeq: Int64?)
    /// Version 2: checkpoints of sizes from `seq` on are signed by `logKey`. The new key's signature is checked; the
    /// old key's (`oldKeySignature` over `message`) must be checked by whoever knows the log key in force.
    case logKeyRotated(logKey: NoteVerifierKey, seq: Int64, oldKeySignature: [UInt8], message: [UInt8])
}

/// The type table's rules (FORMAT.md §5 and §7 rules 8–9 except the cryptography), shared by the appender,
/// which decides with them before writing, and the verifier, which replays them.
public enum EntryRules {
    /// Checks an entry against the type table, the genesis rules, and its signers' registration, validity and roles,
    /// given the keys registered before it.
    ///
    /// Returns the entry's effect on the key state.
    ///
    /// - Parameter genesisActor: the actor of seq 1, needed to check seq 2.
    /// - Parameter table: the type table the ledger follows.
    /// - Parameter dataChecked: true when ``dataIsValid(_:table:)`` has already found the entry's data valid (on
    ///   another core, say): its data schema is not checked again. The verdict is the same either way.
    public static func check(
        _ entry: Entry, table: TypeTable, keys: some KeyDirectory, genesisActor: String?, dataChecked: Bool = false
    ) throws -> RuleEffect {
        let body = entry.body
        let seq = body.seq
        if seq == 1 {
            guard body.type == EventTypes.ledgerCreated, body.stream == "ledger" else {
                throw CoreError.rule("the genesis entry (seq 1) must be ledger.created in stream ledger")
            }
        } else if body.type == EventTypes.ledgerCreated {
            throw CoreError.rule("ledger.created may only appear at seq 1")
        }
        guard let rule = table.rule(body.type, version: body.version) else {
            throw CoreError.rule("unknown event type \"\(body.type)\" (not in the type table)")
        }
        guard rule.stream.matches(body.stream) else {
            throw CoreError.rule(
                "type \(body.type) is not allowed in stream \(body.stream) (expected \(rule.stream.description))")
        }
        if !dataChecked { try rule.data.check(body.data, type: body.type) }

        // Required signers: the actor, plus the registered key for key.registered.
        var required = [body.actor]
        var registeredKeyID: String?
        if rule.coSigner == .registeredKey, let keyID = body.data.member("key")?.stringValue {
            registeredKeyID = keyID
            if !required.contains(keyID) { required.append(keyID) }
        }
        var coSignerKeyID: String?
        if case .dataKey(let member) = rule.coSigner, let keyID = body.data.member(member)?.stringValue {
            guard keyID != body.actor else {
                throw CoreError.rule("data.\(member) must name another key than the actor's")
            }
            coSignerKeyID = keyID
            required.append(keyID)
        }
        let signers = entry.sigs.map(\.key)
        guard signers.count == required.count, required.allSatisfy(signers.contains) else {
            // Most often a co-signer who has not signed yet: say whose signature is missing.
            var missing = ""
            if case .dataKey(let member) = rule.coSigner, let keyID = coSignerKeyID, !signers.contains(keyID),
                signers.allSatisfy(required.contains)
            {
                missing = " (missing: the co-signature of key \(keyID.prefix(12))…, named in data.\(member))"
            }
            throw CoreError.signer(
                "signers are not exactly the required signers for \(body.type): expected "
                    + required.map { String($0.prefix(12)) + "…" }.sorted().joined(separator: ", ") + ", got "
                    + signers.map { String($0.prefix(12)) + "…" }.joined(separator: ", ") + missing)
        }

        // §12.4: in version 2 a co-signer's element carries the moment it signed; no other element does.
        if body.isStatement {
            for sig in entry.sigs {
                let isCoSigner = coSignerKeyID.map { sig.key.hasSameBytes(as: $0) } ?? false
                if isCoSigner && sig.signedAt == nil {
                    throw CoreError.signer("the co-signature by key \(sig.key.prefix(12))… lacks its signed_at")
                }
                if !isCoSigner && sig.signedAt != nil {
                    throw CoreError.signer(
                        "the signature by key \(sig.key.prefix(12))… carries signed_at, which only a co-signer's may")
                }
            }
        }

        // Who may act, before what the entry would do: someone who may not sign this type at all is told that,
        // not a rule about its effect (a custodian revoking the last admin key hears that custodians may not revoke).
        if seq > 2 { try checkActor(body, rule: rule, coSignerKeyID: coSignerKeyID, keys: keys) }
        let effect = try typeSpecificEffect(entry, keys: keys, genesisActor: genesisActor)
        if seq == 2 {
            guard let genesisActor, body.actor == genesisActor, registeredKeyID == body.actor else {
                throw CoreError.rule("seq 2 must register the key of seq 1's actor, signed by that key itself")
            }
        }
        // Seq 1's actor is registered at seq 2, which checks it.
        return effect
    }

    /// Whether the data of `body` is valid under its type's data schema in `table` (FORMAT.md §5).
    ///
    /// The part of ``check(_:table:keys:genesisActor:dataChecked:)`` that depends on nothing but the body, so that a
    /// sequencer can run it on other cores ahead of the sequential checks. False for a type the table does not have.
    public static func dataIsValid(_ body: EntryBody, table: TypeTable) -> Bool {
        guard let rule = table.rule(body.type, version: body.version) else { return false }
        do { try rule.data.check(body.data, type: body.type) } catch { return false }
        return true
    }

    /// The actor (and a co-signer) must be registered, unrevoked keys, and the actor must hold a role that may sign
    /// the type (or be the key its own stream is about, where the type allows that).
    private static func checkActor(
        _ body: EntryBody, rule: EventTypeRule, coSignerKeyID: String?, keys: some KeyDirectory
    ) throws {
        let seq = body.seq
        guard let actor = try keys.key(body.actor) else {
            throw CoreError.signer("signer \(body.actor.prefix(12))… is not a registered key")
        }
        if let revoked = actor.revokedSeq, seq > revoked {
            throw CoreError.signer("signer \(actor.name) (\(body.actor.prefix(12))…) was revoked at seq \(revoked)")
        }
        guard actor.isValid(atSeq: seq) else {
            throw CoreError.signer("signer \(body.actor.prefix(12))… is not registered at this seq")
        }
        if let coSignerKeyID {
            guard let coSigner = try keys.key(coSignerKeyID), coSigner.isValid(atSeq: seq) else {
                throw CoreError.signer("signer \(coSignerKeyID.prefix(12))… is not a registered, unrevoked key")
            }
        }
        let isSubject = rule.subjectKeyMayAct && body.stream.hasSameBytes(as: "key/" + body.actor)
        guard isSubject || rule.actorRoles.contains(where: actor.hasRole) else {
            throw CoreError.role(
                "signer \(actor.name) has roles [\(actor.roles.joined(separator: ", "))], none of which may sign \(body.type)"
                    + " (allowed: \(rule.actorRoles.sorted().joined(separator: ", ")))")
        }
    }

    /// The state of one key as its own stream (`key/<id>`) records it, entries in stream order: the registration,
    /// then a revocation if any; nil for an empty stream.
    ///
    /// For checking a stored keys row against the log cheaply: signers and their roles are the verifier's business,
    /// and "the last admin key cannot be revoked" needs the whole ledger, so neither is checked here. Throws when an
    /// entry is not a key entry of a well-formed key stream.
    public static func keyState(fromStream entries: [Entry]) throws -> KeyState? {
        var state: KeyState?
        for entry in entries {
            switch try typeSpecificEffect(entry, keys: OneKey(state: state), genesisActor: nil) {
            case .keyRegistered(let registered): state = registered
            case .keyRevoked(_, let seq, let compromised):
                state?.revokedSeq = seq
                state?.compromisedSinceSeq = compromised
            case .none, .ledgerCreated, .logKeyRotated:
                throw CoreError.rule("\(entry.body.type) at seq \(entry.body.seq) is not an entry of a key stream")
            }
        }
        return state
    }

    /// The directory of a single key's history: the key so far, and never a shortage of admins.
    private struct OneKey: KeyDirectory {
        let state: KeyState?
        func key(_ keyID: String) -> KeyState? { state.flatMap { $0.keyID == keyID ? $0 : nil } }
        func activeAdminCount() -> Int { Int.max }
    }

    private static func typeSpecificEffect(_ entry: Entry, keys: some KeyDirectory, genesisActor: String?) throws
        -> RuleEffect
    {
        let body = entry.body
        let data = body.data
        switch body.type {
        case EventTypes.ledgerCreated:
            guard let vkeyText = data.member("log_vkey")?.stringValue else { throw CoreError.rule("log_vkey missing") }
            let logKey = try NoteVerifierKey(vkey: vkeyText)
            guard logKey.name.hasSameBytes(as: body.ledger) else {
                throw CoreError.rule("the log key's name \"\(logKey.name)\" must equal the origin \"\(body.ledger)\"")
            }
            return .ledgerCreated(logKey: logKey)
        case EventTypes.keyRegistered:
            guard let keyID = data.member("key")?.stringValue, let keyText = data.member("public_key")?.stringValue,
                let raw = Base64.decodeCanonical(keyText), let name = data.member("name")?.stringValue,
                let person = data.member("person")?.stringValue, let agency = data.member("agency")?.stringValue,
                let roles = data.member("roles")?.arrayValue?.compactMap(\.stringValue)
            else { throw CoreError.rule("key.registered data is incomplete") }
            guard KeyID.of(raw: raw) == keyID else {
                throw CoreError.rule("data.key is not the SHA-256 of data.public_key")
            }
            guard body.stream == "key/" + keyID else {
                throw CoreError.rule("the stream of key.registered must be key/<data.key>")
            }
            guard body.streamRev == 1 else {
                throw CoreError.rule("key.registered must be the first entry of its stream")
            }
            if try keys.key(keyID) != nil { throw CoreError.rule("key \(keyID.prefix(12))… is already registered") }
            if body.seq == 2 && !roles.contains(Roles.admin) {
                throw CoreError.rule("the key registered at seq 2 must have the admin role")
            }
            let publicKey = try Ed25519PublicKey(raw: raw)
            return .keyRegistered(
                KeyState(
                    keyID: keyID, publicKey: publicKey, name: name, person: person, agency: agency, roles: roles,
                    registeredSeq: body.seq))
        case EventTypes.keyRevoked:
            let keyID = String(body.stream.dropFirst("key/".count))
            guard let key = try keys.key(keyID) else {
                throw CoreError.rule("key \(keyID.prefix(12))… is not registered")
            }
            if let revoked = key.revokedSeq {
                throw CoreError.rule("key \(keyID.prefix(12))… was already revoked at seq \(revoked)")
            }
            let compromised = data.member("compromised_since_seq")?.integerValue
            if let compromised, compromised >= body.seq {
                throw CoreError.rule("compromised_since_seq must be less than the revocation's seq \(body.seq)")
            }
            if key.hasRole(Roles.admin), try keys.activeAdminCount() <= 1 {
                throw CoreError.rule("the last admin key cannot be revoked")
            }
            return .keyRevoked(keyID: keyID, seq: body.seq, compromisedSinceSeq: compromised)
        case EventTypes.logKeyRotated:
            guard body.isStatement, let genesis = body.genesis else {
                throw CoreError.rule("ledger.log-key-rotated exists in version-2 ledgers only")
            }
            guard let vkeyText = data.member("log_vkey")?.stringValue,
                let newSig = data.member("new_key_sig")?.stringValue.flatMap(Base64.decodeCanonical),
                let oldSig = data.member("old_key_sig")?.stringValue.flatMap(Base64.decodeCanonical)
            else { throw CoreError.rule("ledger.log-key-rotated data is incomplete") }
            let logKey = try NoteVerifierKey(vkey: vkeyText)
            guard logKey.name.hasSameBytes(as: body.ledger) else {
                throw CoreError.rule(
                    "the new log key's name \"\(logKey.name)\" must equal the origin \"\(body.ledger)\"")
            }
            let message = SigningMessage.logKeyRotation(genesis: genesis, newVKey: logKey.vkey)
            guard logKey.publicKey.verify(signature: newSig, message: message) else {
                throw CoreError.signer("new_key_sig does not verify with the new log key (no proof it holds the key)")
            }
            return .logKeyRotated(logKey: logKey, seq: body.seq, oldKeySignature: oldSig, message: message)
        default:
            return .none
        }
    }
}
