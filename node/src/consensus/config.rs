//! From the node's configuration and genesis to Malachite's: network, sync, timeouts.
//!
//! Membership (DESIGN §8): the only peers are the other genesis validators, dialled at the
//! address the genesis gives them with their peer id appended (`…/p2p/<PeerId>`), and
//! `persistent_peers_only` refuses every other peer. The protocol names carry the chain id, so
//! nodes of two networks never mix.
//!
//! Consensus messages, proposal parts and transaction batches go out by Malachite's `Broadcast`
//! protocol: each message is sent once to each connected validator over the noise-authenticated
//! connection, and nothing is relayed (ADR 0012). That is enough because the validators are a
//! full mesh — each one dials every other — and every vote, proposal and transaction it carries
//! is signed by its author, not by the link. A validator whose direct link to another is down
//! misses that one's messages and gets the decided blocks by value sync instead.

use std::time::Duration;

use bytesize::ByteSize;
use malachitebft_app_channel::app::config::{
    ConsensusConfig, DiscoveryConfig, NodeConfig as EngineNodeConfig, P2pConfig, ProtocolNames,
    PubSubProtocol, ValuePayload, ValueSyncConfig,
};
use malachitebft_app_channel::app::net::Multiaddr;
use malachitebft_app_channel::app::types::core::LinearTimeouts;

use super::signing::peer_id_of;
use crate::config::{ConfigError, NodeConfig};
use crate::genesis::GenesisFile;

/// Largest gossip message: a block part (1 MiB of block) or a transaction batch, with room.
pub const PUBSUB_BYTES_MAX: u64 = 8 * 1024 * 1024;
/// Largest sync response: a few blocks with their certificates.
pub const SYNC_RESPONSE_BYTES_MAX: u64 = 64 * 1024 * 1024;

/// What Malachite's engine is configured with.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub moniker: String,
    pub consensus: ConsensusConfig,
    pub value_sync: ValueSyncConfig,
}

impl EngineNodeConfig for EngineConfig {
    fn moniker(&self) -> &str {
        &self.moniker
    }

    fn consensus(&self) -> &ConsensusConfig {
        &self.consensus
    }

    fn consensus_mut(&mut self) -> &mut ConsensusConfig {
        &mut self.consensus
    }

    fn value_sync(&self) -> &ValueSyncConfig {
        &self.value_sync
    }

    fn value_sync_mut(&mut self) -> &mut ValueSyncConfig {
        &mut self.value_sync
    }
}

fn multiaddr(text: &str, what: &str) -> Result<Multiaddr, ConfigError> {
    let addr: Multiaddr =
        text.parse().map_err(|e| ConfigError::Invalid(format!("{what} {text:?} is not a multiaddr: {e}")))?;
    // Malachite panics on a listen address without a transport it knows; refuse it here.
    if !text.contains("/tcp/") {
        return Err(ConfigError::Invalid(format!("{what} {text:?} must be a TCP address")));
    }
    Ok(addr)
}

/// The other validators' addresses, each with its peer id: the genesis address, unless the
/// node's `p2p.persistent_peers` names another address for that validator's peer id (an
/// operator's NAT or proxy, or the testnet's relays). An override for a peer id that is not a
/// validator of the genesis is refused: it could never connect.
pub fn persistent_peers(
    genesis: &GenesisFile,
    me: &ebl_ledger::PartyId,
    overrides: &[String],
) -> Result<Vec<Multiaddr>, ConfigError> {
    let mut by_peer = Vec::new();
    for text in overrides {
        let (addr, peer) = text.rsplit_once("/p2p/").ok_or_else(|| {
            ConfigError::Invalid(format!("p2p.persistent_peers entry {text:?} must end in /p2p/<peer id>"))
        })?;
        by_peer.push((peer.to_owned(), addr.to_owned(), text.as_str()));
    }
    let mut peers = Vec::new();
    for v in genesis.validators.iter().filter(|v| v.node_key != *me) {
        let peer = peer_id_of(&v.node_key)
            .ok_or_else(|| ConfigError::Invalid(format!("validator {} is not an ed25519 key", v.name)))?
            .to_string();
        let base = by_peer
            .iter()
            .find(|(p, _, _)| *p == peer)
            .map(|(_, addr, _)| addr.as_str())
            .unwrap_or(v.p2p_address.as_str());
        let addr = format!("{}/p2p/{peer}", base.trim_end_matches('/'));
        peers.push(multiaddr(&addr, "peer address")?);
    }
    for (peer, _, text) in &by_peer {
        let known = genesis
            .validators
            .iter()
            .filter(|v| v.node_key != *me)
            .any(|v| peer_id_of(&v.node_key).is_some_and(|id| id.to_string() == *peer));
        if !known {
            return Err(ConfigError::Invalid(format!(
                "p2p.persistent_peers entry {text:?} is not another validator of the genesis"
            )));
        }
    }
    Ok(peers)
}

impl EngineConfig {
    pub fn new(
        config: &NodeConfig,
        genesis: &GenesisFile,
        me: &ebl_ledger::PartyId,
    ) -> Result<Self, ConfigError> {
        let discovery = DiscoveryConfig {
            enabled: false,
            // Every validator of a loopback network shares one IP.
            max_connections_per_ip: 1_000,
            ip_throttle_duration: Duration::ZERO,
            ..DiscoveryConfig::default()
        };
        let p2p = P2pConfig {
            listen_addr: multiaddr(&config.p2p.listen_addr, "p2p.listen_addr")?,
            persistent_peers: persistent_peers(genesis, me, &config.p2p.persistent_peers)?,
            persistent_peers_only: true,
            discovery,
            protocol: PubSubProtocol::Broadcast,
            pubsub_max_size: ByteSize::b(PUBSUB_BYTES_MAX),
            rpc_max_size: ByteSize::b(SYNC_RESPONSE_BYTES_MAX + 1024 * 1024),
            protocol_names: ProtocolNames {
                consensus: format!("/ebl/{}/consensus/v1", genesis.chain_id),
                sync: format!("/ebl/{}/sync/v1", genesis.chain_id),
                ..ProtocolNames::default()
            },
            ..P2pConfig::default()
        };
        let consensus = ConsensusConfig {
            enabled: true,
            p2p,
            value_payload: ValuePayload::ProposalAndParts,
            ..ConsensusConfig::default()
        };
        let value_sync = ValueSyncConfig {
            enabled: true,
            status_update_interval: Duration::from_millis(config.consensus.sync_status_interval_ms),
            request_timeout: Duration::from_secs(10),
            max_response_size: ByteSize::b(SYNC_RESPONSE_BYTES_MAX),
            batch_size: 5,
            ..ValueSyncConfig::default()
        };
        Ok(EngineConfig { moniker: config.node.moniker.clone(), consensus, value_sync })
    }
}

/// Round timeouts from the configuration.
pub fn timeouts(config: &NodeConfig) -> LinearTimeouts {
    let c = &config.consensus;
    let ms = Duration::from_millis;
    LinearTimeouts {
        propose: ms(c.timeout_propose_ms),
        propose_delta: ms(c.timeout_delta_ms),
        prevote: ms(c.timeout_prevote_ms),
        prevote_delta: ms(c.timeout_delta_ms),
        precommit: ms(c.timeout_precommit_ms),
        precommit_delta: ms(c.timeout_delta_ms),
        rebroadcast: ms(c.timeout_propose_ms + c.timeout_prevote_ms + c.timeout_precommit_ms),
        max_timeout: ms(c.timeout_max_ms),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genesis::ValidatorInfo;
    use ebl_ledger::Keypair;

    fn genesis(keys: &[Keypair]) -> GenesisFile {
        let validators = keys
            .iter()
            .enumerate()
            .map(|(i, k)| ValidatorInfo {
                name: format!("v{i}"),
                operator: Keypair::for_test(&format!("v{i}/operator")).party(),
                consensus_key: Keypair::for_test(&format!("v{i}/consensus")).party(),
                node_key: k.party(),
                voting_power: 1,
                p2p_address: format!("/ip4/127.0.0.1/tcp/{}", 27000 + i),
            })
            .collect();
        GenesisFile {
            chain_id: "ebl-test".into(),
            genesis_time_ms: 0,
            validators,
            parties: Vec::new(),
            registrar_quorum: 1,
        }
    }

    #[test]
    fn peers_are_dialled_at_the_genesis_address_unless_overridden() {
        let keys: Vec<Keypair> = (0..3).map(|i| Keypair::from_seed([i as u8 + 1; 32])).collect();
        let genesis = genesis(&keys);
        let me = keys[0].party();
        let peer2 = peer_id_of(&keys[2].party()).expect("ed25519").to_string();
        let plain = persistent_peers(&genesis, &me, &[]).expect("genesis addresses");
        assert_eq!(plain.len(), 2);
        assert!(plain[1].to_string().starts_with("/ip4/127.0.0.1/tcp/27002/p2p/"));

        let relay = format!("/ip4/127.0.0.1/tcp/31002/p2p/{peer2}");
        let routed = persistent_peers(&genesis, &me, std::slice::from_ref(&relay)).expect("override");
        assert!(routed[0].to_string().starts_with("/ip4/127.0.0.1/tcp/27001/p2p/"), "{routed:?}");
        assert_eq!(routed[1].to_string(), relay);
    }

    #[test]
    fn an_override_for_an_unknown_peer_or_without_a_peer_id_is_refused() {
        let keys: Vec<Keypair> = (0..3).map(|i| Keypair::from_seed([i as u8 + 1; 32])).collect();
        let genesis = genesis(&keys);
        let me = keys[0].party();
        let stranger = peer_id_of(&Keypair::from_seed([9; 32]).party()).expect("ed25519");
        let myself = peer_id_of(&me).expect("ed25519");
        for bad in [
            format!("/ip4/127.0.0.1/tcp/31000/p2p/{stranger}"),
            format!("/ip4/127.0.0.1/tcp/31000/p2p/{myself}"),
            "/ip4/127.0.0.1/tcp/31000".to_string(),
        ] {
            let result = persistent_peers(&genesis, &me, std::slice::from_ref(&bad));
            assert!(matches!(result, Err(ConfigError::Invalid(_))), "{bad}: {result:?}");
        }
    }
}
