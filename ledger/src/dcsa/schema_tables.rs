//! The schema tables, transcribed from `EBL_v3.0.4.yaml` (`components/schemas`): for each schema
//! reachable from `TransportDocument`, its `properties` in order with their types, `required`
//! marked `req`, and `minItems: 1` as the array minimum. Schemas with identical members share
//! one table. The same schemas in `EBL_ISS_v3.0.4.yaml` and `EBL_PINT_v3.0.0.yaml` differ from
//! these only in their descriptions (and in not defining `feedbacks`).

use super::schema::{opt, req, Alternatives, Schema, Ty};

/// `TransportDocument`.
pub(super) static TRANSPORT_DOCUMENT: Schema = Schema {
    members: &[
        req("transportDocumentReference", Ty::String),
        opt("transportDocumentSubReference", Ty::String),
        opt("shippingInstructionsReference", Ty::String),
        req("transportDocumentStatus", Ty::String),
        req("transportDocumentTypeCode", Ty::String),
        req("isShippedOnBoardType", Ty::Boolean),
        opt("freightPaymentTermCode", Ty::String),
        req("isElectronic", Ty::Boolean),
        req("isToOrder", Ty::Boolean),
        opt("numberOfCopiesWithCharges", Ty::Integer),
        opt("numberOfCopiesWithoutCharges", Ty::Integer),
        opt("numberOfOriginalsWithCharges", Ty::Integer),
        opt("numberOfOriginalsWithoutCharges", Ty::Integer),
        opt("displayedNameForPlaceOfReceipt", Ty::Strings(0)),
        opt("displayedNameForPortOfLoad", Ty::Strings(0)),
        opt("displayedNameForPortOfDischarge", Ty::Strings(0)),
        opt("displayedNameForPlaceOfDelivery", Ty::Strings(0)),
        opt("shippedOnBoardDate", Ty::String),
        opt("displayedShippedOnBoardReceivedForShipment", Ty::String),
        req("termsAndConditions", Ty::String),
        req("receiptTypeAtOrigin", Ty::String),
        req("deliveryTypeAtDestination", Ty::String),
        req("cargoMovementTypeAtOrigin", Ty::String),
        req("cargoMovementTypeAtDestination", Ty::String),
        opt("issueDate", Ty::String),
        opt("receivedForShipmentDate", Ty::String),
        opt("serviceContractReference", Ty::String),
        opt("contractQuotationReference", Ty::String),
        opt("extendedContractQuotationReference", Ty::String),
        opt("declaredValue", Ty::Number),
        opt("declaredValueCurrency", Ty::String),
        req("carrierCode", Ty::String),
        req("carrierCodeListProvider", Ty::String),
        opt("carrierClauses", Ty::Strings(0)),
        opt("numberOfRiderPages", Ty::Integer),
        req("transports", Ty::Object(&TRANSPORTS)),
        opt("charges", Ty::Objects(&CHARGE, 0)),
        opt("placeOfIssue", Ty::Object(&PLACE_OF_ISSUE)),
        req("invoicePayableAt", Ty::Object(&INVOICE_PAYABLE_AT)),
        req("partyContactDetails", Ty::Objects(&PARTY_CONTACT_DETAIL, 1)),
        req("documentParties", Ty::Object(&DOCUMENT_PARTIES)),
        req("consignmentItems", Ty::Objects(&CONSIGNMENT_ITEM, 1)),
        req("utilizedTransportEquipments", Ty::Objects(&UTILIZED_TRANSPORT_EQUIPMENT, 1)),
        opt("exportLicense", Ty::Object(&LICENSE)),
        opt("importLicense", Ty::Object(&LICENSE)),
        opt("references", Ty::Objects(&REFERENCE, 0)),
        opt("customsReferences", Ty::Objects(&CUSTOMS_REFERENCE, 0)),
        opt("feedbacks", Ty::Objects(&FEEDBACK, 0)),
    ],
    alternatives: None,
};

/// `Transports`.
static TRANSPORTS: Schema = Schema {
    members: &[
        req("plannedArrivalDate", Ty::String),
        req("plannedDepartureDate", Ty::String),
        opt("preCarriageBy", Ty::String),
        opt("onCarriageBy", Ty::String),
        opt("placeOfReceipt", Ty::Object(&PLACE)),
        req("portOfLoading", Ty::Object(&PORT)),
        req("portOfDischarge", Ty::Object(&PORT)),
        opt("placeOfDelivery", Ty::Object(&PLACE)),
        opt("onwardInlandRouting", Ty::Object(&ONWARD_INLAND_ROUTING)),
        req("vesselVoyages", Ty::Objects(&VESSEL_VOYAGE, 1)),
    ],
    alternatives: None,
};

/// `PlaceOfReceipt`, `PlaceOfDelivery`.
static PLACE: Schema = Schema {
    members: &[
        opt("locationName", Ty::String),
        opt("facilityName", Ty::String),
        opt("address", Ty::Object(&ADDRESS)),
        opt("addressLines", Ty::Strings(0)),
        opt("facility", Ty::Object(&FACILITY)),
        opt("UNLocationCode", Ty::String),
        opt("geoCoordinate", Ty::Object(&GEO_COORDINATE)),
    ],
    alternatives: None,
};

/// `Address`.
static ADDRESS: Schema = Schema {
    members: &[
        req("street", Ty::String),
        opt("streetNumber", Ty::String),
        opt("floor", Ty::String),
        opt("postCode", Ty::String),
        opt("POBox", Ty::String),
        req("city", Ty::String),
        opt("stateRegion", Ty::String),
        req("countryCode", Ty::String),
    ],
    alternatives: None,
};

/// `Facility`.
static FACILITY: Schema = Schema {
    members: &[req("facilityCode", Ty::String), req("facilityCodeListProvider", Ty::String)],
    alternatives: None,
};

/// `GeoCoordinate`.
static GEO_COORDINATE: Schema =
    Schema { members: &[req("latitude", Ty::String), req("longitude", Ty::String)], alternatives: None };

/// `PortOfLoading`, `PortOfDischarge`.
static PORT: Schema = Schema {
    members: &[
        opt("locationName", Ty::String),
        opt("city", Ty::Object(&CITY)),
        opt("UNLocationCode", Ty::String),
    ],
    alternatives: None,
};

/// `City`.
static CITY: Schema = Schema {
    members: &[req("city", Ty::String), opt("stateRegion", Ty::String), req("countryCode", Ty::String)],
    alternatives: None,
};

/// `OnwardInlandRouting`.
static ONWARD_INLAND_ROUTING: Schema = Schema {
    members: &[
        opt("locationName", Ty::String),
        opt("facilityName", Ty::String),
        opt("address", Ty::Object(&ADDRESS)),
        opt("addressLines", Ty::Strings(0)),
        opt("facility", Ty::Object(&FACILITY)),
        opt("UNLocationCode", Ty::String),
    ],
    alternatives: None,
};

/// `VesselVoyage`.
static VESSEL_VOYAGE: Schema = Schema {
    members: &[
        req("vesselName", Ty::String),
        req("carrierExportVoyageNumber", Ty::String),
        opt("universalExportVoyageReference", Ty::String),
        opt("role", Ty::String),
    ],
    alternatives: None,
};

/// `Charge`.
static CHARGE: Schema = Schema {
    members: &[
        req("chargeName", Ty::String),
        opt("extendedChargeName", Ty::String),
        req("currencyAmount", Ty::Number),
        req("currencyCode", Ty::String),
        req("paymentTermCode", Ty::String),
        req("calculationBasis", Ty::String),
        req("unitPrice", Ty::Number),
        req("quantity", Ty::Number),
    ],
    alternatives: None,
};

/// `PlaceOfIssue`.
static PLACE_OF_ISSUE: Schema = Schema {
    members: &[
        opt("locationName", Ty::String),
        opt("UNLocationCode", Ty::String),
        opt("countryCode", Ty::String),
    ],
    alternatives: Some(Alternatives { exclusive: true, members: &["UNLocationCode", "countryCode"] }),
};

/// `InvoicePayableAt`.
static INVOICE_PAYABLE_AT: Schema = Schema {
    members: &[opt("UNLocationCode", Ty::String), opt("freeText", Ty::String)],
    alternatives: Some(Alternatives { exclusive: true, members: &["UNLocationCode", "freeText"] }),
};

/// `PartyContactDetail`.
static PARTY_CONTACT_DETAIL: Schema = Schema {
    members: &[req("name", Ty::String), opt("phone", Ty::String), opt("email", Ty::String)],
    alternatives: Some(Alternatives { exclusive: false, members: &["phone", "email"] }),
};

/// `DocumentParties`.
static DOCUMENT_PARTIES: Schema = Schema {
    members: &[
        req("shipper", Ty::Object(&SHIPPER)),
        opt("onBehalfOfShipper", Ty::Object(&ON_BEHALF_OF_SHIPPER)),
        opt("consignee", Ty::Object(&CONSIGNEE)),
        opt("onBehalfOfConsignee", Ty::Object(&ON_BEHALF_OF_CONSIGNEE)),
        opt("endorsee", Ty::Object(&ENDORSEE)),
        req("issuingParty", Ty::Object(&ISSUING_PARTY)),
        opt("carriersAgentAtDestination", Ty::Object(&CARRIERS_AGENT_AT_DESTINATION)),
        opt("notifyParties", Ty::Objects(&NOTIFY_PARTY, 0)),
        opt("other", Ty::Objects(&OTHER_DOCUMENT_PARTY, 0)),
    ],
    alternatives: None,
};

/// `Shipper`.
static SHIPPER: Schema = Schema {
    members: &[
        req("partyName", Ty::String),
        opt("eblPlatform", Ty::String),
        opt("typeOfPerson", Ty::String),
        opt("address", Ty::Object(&PARTY_ADDRESS)),
        opt("addressLines", Ty::Strings(0)),
        opt("displayedAddress", Ty::Strings(0)),
        opt("identifyingCodes", Ty::Objects(&IDENTIFYING_CODE, 0)),
        opt("taxLegalReferences", Ty::Objects(&TAX_LEGAL_REFERENCE, 0)),
        opt("partyContactDetails", Ty::Objects(&PARTY_CONTACT_DETAIL, 0)),
        opt("reference", Ty::String),
        opt("purchaseOrderReferences", Ty::Strings(0)),
    ],
    alternatives: None,
};

/// `PartyAddress`.
static PARTY_ADDRESS: Schema = Schema {
    members: &[
        req("street", Ty::String),
        opt("streetNumber", Ty::String),
        opt("floor", Ty::String),
        opt("postCode", Ty::String),
        opt("POBox", Ty::String),
        req("city", Ty::String),
        opt("UNLocationCode", Ty::String),
        opt("stateRegion", Ty::String),
        req("countryCode", Ty::String),
    ],
    alternatives: None,
};

/// `IdentifyingCode`.
static IDENTIFYING_CODE: Schema = Schema {
    members: &[
        req("codeListProvider", Ty::String),
        req("partyCode", Ty::String),
        opt("codeListName", Ty::String),
    ],
    alternatives: None,
};

/// `TaxLegalReference`.
static TAX_LEGAL_REFERENCE: Schema = Schema {
    members: &[req("type", Ty::String), req("countryCode", Ty::String), req("value", Ty::String)],
    alternatives: None,
};

/// `OnBehalfOfShipper`.
static ON_BEHALF_OF_SHIPPER: Schema = Schema {
    members: &[
        req("partyName", Ty::String),
        opt("address", Ty::Object(&PARTY_ADDRESS)),
        opt("addressLines", Ty::Strings(0)),
        opt("identifyingCodes", Ty::Objects(&IDENTIFYING_CODE, 0)),
    ],
    alternatives: None,
};

/// `Consignee`.
static CONSIGNEE: Schema = Schema {
    members: &[
        req("partyName", Ty::String),
        opt("eblPlatform", Ty::String),
        opt("typeOfPerson", Ty::String),
        opt("address", Ty::Object(&PARTY_ADDRESS)),
        opt("addressLines", Ty::Strings(0)),
        opt("displayedAddress", Ty::Strings(0)),
        req("identifyingCodes", Ty::Objects(&IDENTIFYING_CODE, 1)),
        opt("taxLegalReferences", Ty::Objects(&TAX_LEGAL_REFERENCE, 0)),
        opt("partyContactDetails", Ty::Objects(&PARTY_CONTACT_DETAIL, 0)),
        opt("reference", Ty::String),
        opt("purchaseOrderReferences", Ty::Strings(0)),
        opt("isNotifyParty", Ty::Boolean),
    ],
    alternatives: None,
};

/// `OnBehalfOfConsignee`.
static ON_BEHALF_OF_CONSIGNEE: Schema = Schema {
    members: &[
        req("partyName", Ty::String),
        opt("address", Ty::Object(&PARTY_ADDRESS)),
        opt("addressLines", Ty::Strings(0)),
        opt("identifyingCodes", Ty::Objects(&IDENTIFYING_CODE, 1)),
    ],
    alternatives: None,
};

/// `Endorsee`.
static ENDORSEE: Schema = Schema {
    members: &[
        req("partyName", Ty::String),
        opt("eblPlatform", Ty::String),
        opt("address", Ty::Object(&PARTY_ADDRESS)),
        opt("addressLines", Ty::Strings(0)),
        opt("displayedAddress", Ty::Strings(0)),
        req("identifyingCodes", Ty::Objects(&IDENTIFYING_CODE, 1)),
        opt("taxLegalReferences", Ty::Objects(&TAX_LEGAL_REFERENCE, 0)),
        opt("partyContactDetails", Ty::Objects(&PARTY_CONTACT_DETAIL, 0)),
        opt("isNotifyParty", Ty::Boolean),
    ],
    alternatives: None,
};

/// `IssuingParty`.
static ISSUING_PARTY: Schema = Schema {
    members: &[
        req("partyName", Ty::String),
        req("address", Ty::Object(&PARTY_ADDRESS)),
        opt("addressLines", Ty::Strings(0)),
        opt("identifyingCodes", Ty::Objects(&IDENTIFYING_CODE, 0)),
        opt("taxLegalReferences", Ty::Objects(&TAX_LEGAL_REFERENCE, 0)),
        opt("partyContactDetails", Ty::Objects(&PARTY_CONTACT_DETAIL, 0)),
    ],
    alternatives: None,
};

/// `CarriersAgentAtDestination`.
static CARRIERS_AGENT_AT_DESTINATION: Schema = Schema {
    members: &[
        req("partyName", Ty::String),
        req("address", Ty::Object(&ADDRESS)),
        opt("addressLines", Ty::Strings(0)),
        req("partyContactDetails", Ty::Objects(&PARTY_CONTACT_DETAIL, 0)),
    ],
    alternatives: None,
};

/// `NotifyParty`.
static NOTIFY_PARTY: Schema = Schema {
    members: &[
        req("partyName", Ty::String),
        opt("typeOfPerson", Ty::String),
        opt("address", Ty::Object(&PARTY_ADDRESS)),
        opt("addressLines", Ty::Strings(0)),
        opt("displayedAddress", Ty::Strings(0)),
        opt("identifyingCodes", Ty::Objects(&IDENTIFYING_CODE, 0)),
        opt("taxLegalReferences", Ty::Objects(&TAX_LEGAL_REFERENCE, 0)),
        opt("partyContactDetails", Ty::Objects(&PARTY_CONTACT_DETAIL, 0)),
        opt("reference", Ty::String),
    ],
    alternatives: None,
};

/// `OtherDocumentParty`.
static OTHER_DOCUMENT_PARTY: Schema = Schema {
    members: &[req("party", Ty::Object(&PARTY)), req("partyFunction", Ty::String)],
    alternatives: None,
};

/// `Party`.
static PARTY: Schema = Schema {
    members: &[
        req("partyName", Ty::String),
        opt("address", Ty::Object(&PARTY_ADDRESS)),
        opt("addressLines", Ty::Strings(0)),
        opt("identifyingCodes", Ty::Objects(&IDENTIFYING_CODE, 0)),
        opt("taxLegalReferences", Ty::Objects(&TAX_LEGAL_REFERENCE, 0)),
        opt("partyContactDetails", Ty::Objects(&PARTY_CONTACT_DETAIL, 0)),
        opt("reference", Ty::String),
    ],
    alternatives: None,
};

/// `ConsignmentItem`.
static CONSIGNMENT_ITEM: Schema = Schema {
    members: &[
        req("carrierBookingReference", Ty::String),
        req("descriptionOfGoods", Ty::Strings(0)),
        req("HSCodes", Ty::Strings(1)),
        opt("extendedHSCodes", Ty::Strings(0)),
        opt("nationalCommodityCodes", Ty::Objects(&NATIONAL_COMMODITY_CODE, 0)),
        opt("extendedNationalCommodityCodes", Ty::Objects(&NATIONAL_COMMODITY_CODE, 0)),
        opt("shippingMarks", Ty::Strings(0)),
        req("cargoItems", Ty::Objects(&CARGO_ITEM, 1)),
        opt("exportLicense", Ty::Object(&LICENSE)),
        opt("importLicense", Ty::Object(&LICENSE)),
        opt("references", Ty::Objects(&REFERENCE_CONSIGNMENT_ITEM, 0)),
        opt("customsReferences", Ty::Objects(&CUSTOMS_REFERENCE, 0)),
    ],
    alternatives: None,
};

/// `NationalCommodityCode`, `ExtendedNationalCommodityCode`.
static NATIONAL_COMMODITY_CODE: Schema = Schema {
    members: &[req("type", Ty::String), opt("countryCode", Ty::String), req("values", Ty::Strings(1))],
    alternatives: None,
};

/// `CargoItem`.
static CARGO_ITEM: Schema = Schema {
    members: &[
        req("equipmentReference", Ty::String),
        req("cargoGrossWeight", Ty::Object(&MEASURE)),
        opt("cargoGrossVolume", Ty::Object(&MEASURE)),
        opt("cargoNetWeight", Ty::Object(&MEASURE)),
        opt("cargoNetVolume", Ty::Object(&MEASURE)),
        opt("exportLicense", Ty::Object(&LICENSE)),
        opt("importLicense", Ty::Object(&LICENSE)),
        req("outerPackaging", Ty::Object(&OUTER_PACKAGING)),
        opt("nationalCommodityCodes", Ty::Objects(&NATIONAL_COMMODITY_CODE, 0)),
        opt("extendedNationalCommodityCodes", Ty::Objects(&NATIONAL_COMMODITY_CODE, 0)),
        opt("customsReferences", Ty::Objects(&CUSTOMS_REFERENCE, 0)),
    ],
    alternatives: None,
};

/// `CargoGrossWeight`, `CargoGrossVolume`, `CargoNetWeight`, `CargoNetVolume`, `GrossWeight`,
/// `NetWeight`, `NetExplosiveContent`, `NetVolume`, `TareWeight`.
static MEASURE: Schema =
    Schema { members: &[req("value", Ty::Number), req("unit", Ty::String)], alternatives: None };

/// `ExportLicense`, `ImportLicense`.
static LICENSE: Schema = Schema {
    members: &[
        opt("isRequired", Ty::Boolean),
        opt("reference", Ty::String),
        opt("issueDate", Ty::String),
        opt("expiryDate", Ty::String),
    ],
    alternatives: None,
};

/// `OuterPackaging`.
static OUTER_PACKAGING: Schema = Schema {
    members: &[
        opt("packageCode", Ty::String),
        opt("imoPackagingCode", Ty::String),
        req("numberOfPackages", Ty::Integer),
        req("description", Ty::String),
        opt("woodDeclaration", Ty::String),
        opt("dangerousGoods", Ty::Objects(&DANGEROUS_GOODS, 0)),
    ],
    alternatives: None,
};

/// `DangerousGoods`.
static DANGEROUS_GOODS: Schema = Schema {
    members: &[
        opt("codedVariantList", Ty::String),
        req("properShippingName", Ty::String),
        opt("technicalName", Ty::String),
        req("imoClass", Ty::String),
        opt("subsidiaryRisk1", Ty::String),
        opt("subsidiaryRisk2", Ty::String),
        opt("isMarinePollutant", Ty::Boolean),
        opt("packingGroup", Ty::Integer),
        opt("isLimitedQuantity", Ty::Boolean),
        opt("isExceptedQuantity", Ty::Boolean),
        opt("isSalvagePackings", Ty::Boolean),
        opt("isEmptyUncleanedResidue", Ty::Boolean),
        opt("isWaste", Ty::Boolean),
        opt("isHot", Ty::Boolean),
        opt("isCompetentAuthorityApprovalRequired", Ty::Boolean),
        opt("competentAuthorityApproval", Ty::String),
        opt("segregationGroups", Ty::Strings(0)),
        opt("innerPackagings", Ty::Objects(&INNER_PACKAGING, 0)),
        opt("emergencyContactDetails", Ty::Object(&EMERGENCY_CONTACT_DETAILS)),
        opt("EMSNumber", Ty::String),
        opt("endOfHoldingTime", Ty::String),
        opt("fumigationDateTime", Ty::String),
        opt("isReportableQuantity", Ty::Boolean),
        opt("inhalationZone", Ty::String),
        opt("grossWeight", Ty::Object(&MEASURE)),
        opt("netWeight", Ty::Object(&MEASURE)),
        opt("netExplosiveContent", Ty::Object(&MEASURE)),
        opt("netVolume", Ty::Object(&MEASURE)),
        opt("limits", Ty::Object(&LIMITS)),
        opt("UNNumber", Ty::String),
        opt("NANumber", Ty::String),
    ],
    alternatives: Some(Alternatives { exclusive: true, members: &["UNNumber", "NANumber"] }),
};

/// `InnerPackaging`.
static INNER_PACKAGING: Schema = Schema {
    members: &[
        req("quantity", Ty::Integer),
        req("material", Ty::String),
        req("description", Ty::String),
        opt("innerPackagings", Ty::Objects(&INNER_PACKAGING, 0)),
    ],
    alternatives: None,
};

/// `EmergencyContactDetails`.
static EMERGENCY_CONTACT_DETAILS: Schema = Schema {
    members: &[
        req("contact", Ty::String),
        opt("provider", Ty::String),
        req("phone", Ty::String),
        opt("referenceNumber", Ty::String),
    ],
    alternatives: None,
};

/// `Limits`.
static LIMITS: Schema = Schema {
    members: &[
        req("temperatureUnit", Ty::String),
        opt("flashPoint", Ty::Number),
        opt("transportControlTemperature", Ty::Number),
        opt("transportEmergencyTemperature", Ty::Number),
        opt("SADT", Ty::Number),
        opt("SAPT", Ty::Number),
    ],
    alternatives: None,
};

/// `CustomsReference`.
static CUSTOMS_REFERENCE: Schema = Schema {
    members: &[req("type", Ty::String), req("countryCode", Ty::String), req("values", Ty::Strings(1))],
    alternatives: None,
};

/// `ReferenceConsignmentItem`.
static REFERENCE_CONSIGNMENT_ITEM: Schema =
    Schema { members: &[req("type", Ty::String), req("values", Ty::Strings(1))], alternatives: None };

/// `UtilizedTransportEquipment`.
static UTILIZED_TRANSPORT_EQUIPMENT: Schema = Schema {
    members: &[
        req("equipment", Ty::Object(&EQUIPMENT)),
        req("isShipperOwned", Ty::Boolean),
        opt("isNonOperatingReefer", Ty::Boolean),
        opt("activeReeferSettings", Ty::Object(&ACTIVE_REEFER_SETTINGS)),
        opt("shippingMarks", Ty::Strings(0)),
        req("seals", Ty::Objects(&SEAL, 1)),
        opt("references", Ty::Objects(&REFERENCE, 0)),
        opt("customsReferences", Ty::Objects(&CUSTOMS_REFERENCE, 0)),
    ],
    alternatives: None,
};

/// `Equipment`.
static EQUIPMENT: Schema = Schema {
    members: &[
        req("equipmentReference", Ty::String),
        opt("ISOEquipmentCode", Ty::String),
        opt("tareWeight", Ty::Object(&MEASURE)),
    ],
    alternatives: None,
};

/// `ActiveReeferSettings`.
static ACTIVE_REEFER_SETTINGS: Schema = Schema {
    members: &[
        opt("temperatureSetpoint", Ty::Number),
        opt("temperatureUnit", Ty::String),
        opt("o2Setpoint", Ty::Number),
        opt("co2Setpoint", Ty::Number),
        opt("humiditySetpoint", Ty::Number),
        opt("airExchangeSetpoint", Ty::Number),
        opt("airExchangeUnit", Ty::String),
        opt("isVentilationOpen", Ty::Boolean),
        opt("isDrainholesOpen", Ty::Boolean),
        opt("isBulbMode", Ty::Boolean),
        opt("isColdTreatmentRequired", Ty::Boolean),
        opt("isControlledAtmosphereRequired", Ty::Boolean),
    ],
    alternatives: None,
};

/// `Seal`.
static SEAL: Schema =
    Schema { members: &[req("number", Ty::String), opt("source", Ty::String)], alternatives: None };

/// `Reference`.
static REFERENCE: Schema =
    Schema { members: &[req("type", Ty::String), req("value", Ty::String)], alternatives: None };

/// `Feedback`.
static FEEDBACK: Schema = Schema {
    members: &[
        req("severity", Ty::String),
        req("code", Ty::String),
        req("message", Ty::String),
        opt("jsonPath", Ty::String),
        opt("property", Ty::String),
    ],
    alternatives: None,
};
