//! Encode/decode of a typical GWS connect reply carrying one
//! InteractionStateMessage (the seed's email invite, converted to JSON).
//!
//! Run: `cargo bench --bench bayeux_codec`

use std::hint::black_box;

use agentload::bayeux::{Message, decode_messages};
use criterion::{Criterion, criterion_group, criterion_main};

/// As GWS sends it: the event first, then the connect reply.
const CONNECT_REPLY: &str = r#"[{"data":{"userData":{"Header_Content-Type":"multipart/mixed;boundary=\"===============1840393583==\"","RTargetTypeSelected":"2","RTargetObjectSelected":"?: 2>1","_ContainsAttachment":"false","CBR-actual_volume":"","RVQID":"","To":"support@ci-vm106","Header_Date":"Fri, 28 Jun 2013 13:30:34 -0700","_AttachmentsSize":"0","_AutoReplyCount":0,"RTargetObjSelDBID":"","Header_MIME-Version":"1.0","Mailbox":"support","CBR-Interaction_cost":"","CBR-contract_DBIDs":"","ContactId":"0000Ha8S2A7X000N","RTargetAgentSelected":"Agent1","CBR-IT-path_DBIDs":"","RTargetAgentGroup":"?: 2>1","RTargetRuleSelected":"","FromPersonal":"","RTargetPlaceSelected":"Agent1","_AttachmentFileNames":"","RTenant":"Environment","RRequestedSkills":null,"Origination_Source":"Email","RRequestedSkillCombination":"","RVQDBID":"","RStrategyDBID":"134","CustomerSegment":"default","PegAG?: 2>1":1,"ServiceType":"default","FromAddress":"Customer1@ci-vm106","ServiceObjective":0,"Header_Message-ID":"<4fdz6n7aiqcqyw3.280620131330@ci-vm106>","RTargetRequested":"?: 2>1","EmailAddress":"Customer1@ci-vm106","RStrategyName":"SimpleEmailInStrategy","Subject":"test_reply"},"email_object":{"interactionId":"0000Ja8V814907JM"},"currentQueue":"SimpleEmailInQueue","interactionSubType":"InboundNew","capabilities":["Accept","Reject"],"state":"Invited","messageType":"InteractionStateMessage","id":"0000Ja8V814907JM","channel":"email","interactionType":"Inbound"},"channel":"/v2/me/interactions"},{"successful":true,"advice":{"interval":0,"timeout":30000,"reconnect":"retry"},"id":"25","channel":"/meta/connect"}]"#;

fn codec(c: &mut Criterion) {
    let bytes = CONNECT_REPLY.as_bytes();
    let decoded = decode_messages(bytes).expect("seed reply decodes");
    assert_eq!(decoded.len(), 2);
    assert!(decoded[0].is_event());

    c.bench_function("decode connect reply + InteractionStateMessage", |b| {
        b.iter(|| decode_messages(black_box(bytes)).expect("decodes"))
    });
    c.bench_function("encode connect reply + InteractionStateMessage", |b| {
        b.iter(|| serde_json::to_vec(black_box(&decoded)).expect("encodes"))
    });
    let mut request = Message::new("/meta/connect");
    request.client_id = Some("3f2a9c0e8b7d4a1f9e6c5b4a3d2e1f00".into());
    request.id = Some("26".into());
    request.connection_type = Some("long-polling".into());
    let request = [request];
    c.bench_function("encode connect request", |b| {
        b.iter(|| serde_json::to_vec(black_box(&request)).expect("encodes"))
    });
}

criterion_group!(benches, codec);
criterion_main!(benches);
