namespace MarlEdge.Trainer.Sumo.Traci;

/// <summary>TraCI command ids, as SUMO documents them (TraCI/Protocol and traci/constants.py of SUMO 1.15).</summary>
public static class TraciCommand
{
    public const byte GetVersion = 0x00;
    public const byte SimulationStep = 0x02;
    public const byte SetOrder = 0x03;
    public const byte Close = 0x7F;

    public const byte GetTrafficLight = 0xa2;
    public const byte GetLane = 0xa3;
    public const byte GetEdge = 0xaa;
    public const byte GetVehicle = 0xa4;
    public const byte GetSimulation = 0xab;
    public const byte GetLaneArea = 0xad;
    public const byte SetTrafficLight = 0xc2;

    public const byte SubscribeTrafficLightVariables = 0xd2;
    public const byte SubscribeLaneVariables = 0xd3;
    public const byte SubscribeLaneAreaVariables = 0xdd;
    public const byte SubscribeEdgeVariables = 0xda;
    public const byte SubscribeSimulationVariables = 0xdb;
    public const byte SubscribeJunctionContext = 0x89;

    /// <summary>A get command's answer carries id + 0x10; a subscription's answer id + 0x10 as well (0xd3 -> 0xe3, 0x89 -> 0x99).</summary>
    public const byte ResponseOffset = 0x10;
}

/// <summary>Variable ids of the domains MarlEdge reads.</summary>
public static class TraciVariable
{
    public const byte IdList = 0x00;
    public const byte IdCount = 0x01;

    public const byte LastStepVehicleNumber = 0x10;
    public const byte LastStepMeanSpeed = 0x11;
    public const byte LastStepVehicleHaltingNumber = 0x14;

    public const byte TrafficLightState = 0x20;        // red/yellow/green state string
    public const byte TrafficLightPhaseIndex = 0x28;

    public const byte Speed = 0x40;
    public const byte LaneId = 0x51;
    public const byte LanePosition = 0x56;
    public const byte WaitingTime = 0x7a;             // seconds the vehicle has been standing since it last moved

    public const byte Time = 0x66;
    public const byte DepartedNumber = 0x73;
    public const byte TeleportStartingNumber = 0x75;
    public const byte ArrivedNumber = 0x79;
    public const byte MinExpectedNumber = 0x7d;       // vehicles running plus those still waiting to be inserted
    public const byte PendingVehicles = 0x94;         // edge: ids of the vehicles waiting to be inserted on it (string list)
}

/// <summary>Type tags of TraCI's typed values.</summary>
public static class TraciType
{
    public const byte UByte = 0x07;
    public const byte Byte = 0x08;
    public const byte Integer = 0x09;
    public const byte Double = 0x0B;
    public const byte String = 0x0C;
    public const byte StringList = 0x0E;
    public const byte Compound = 0x0F;
    public const byte DoubleList = 0x10;
    public const byte Color = 0x11;
    public const byte Position2D = 0x01;
    public const byte Position3D = 0x03;
    public const byte RoadMap = 0x04;
    public const byte LonLat = 0x00;
    public const byte LonLatAlt = 0x02;
    public const byte Polygon = 0x06;
}
